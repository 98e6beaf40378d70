"""Entry point started by ``extensions/appconfig-cache``; its folder is the extension's import path."""

from appconfig_cache_extension.lifecycle import main

main()

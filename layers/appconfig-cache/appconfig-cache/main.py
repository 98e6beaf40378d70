"""Entry point started by ``extensions/appconfig-cache``; its folder is the extension's import path.

Written for any Python 3, so that an interpreter too old for the extension gets Init failed with
a message that says so (through the launcher) rather than a SyntaxError.
"""

import os
import sys

if sys.version_info < (3, 11):  # noqa: UP036 - the point: this file runs on any Python 3
    launcher = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "extensions", sys.argv[1]
    )
    found = "%d.%d" % sys.version_info[:2]  # noqa: UP031 - f-strings are 3.6+
    os.execv(  # noqa: S606 - the layer's own launcher, which reports init/error
        launcher,
        [
            launcher,
            "--init-error",
            "the appconfig-cache extension needs Python 3.11 or later; this runtime's python3 is " + found,
        ],
    )

from appconfig_cache_extension.lifecycle import main

main()

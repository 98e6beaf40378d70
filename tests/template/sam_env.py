"""Run by the SAM CLI's own interpreter: the environment `sam local invoke` would give each function.

    .tools/sam/bin/python tests/template/sam_env.py TEMPLATE ENV_VARS_FILE

SAM CLI's code resolves it (the template's Variables, the shell, then --env-vars, which sets
only variables the template declares), exactly as `sam local invoke` does before it starts the
container (with samconfig.toml's local_invoke settings: the template's Fn::ForEach loops
expanded, SamLocal=true); only Docker is left out. Prints {function logical ID: {variable: value}} as JSON.
"""

import json
import os
import sys

from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider


def main() -> None:
    template, env_vars_file = sys.argv[1], sys.argv[2]
    # samconfig.toml's local_invoke settings: SAM CLI's expansion of AWS::LanguageExtensions, and
    # SamLocal=true (the functions declare the variables --env-vars sets).
    stacks, _ = SamLocalStackProvider.get_stacks(
        template, parameter_overrides={"SamLocal": "true"}, language_extensions_enabled=True
    )
    provider = SamFunctionProvider(stacks)
    with open(env_vars_file) as handle:
        env_vars = json.load(handle)
    runner = LocalLambdaRunner(
        local_runtime=None,
        function_provider=provider,
        cwd=os.path.dirname(os.path.abspath(template)),
        real_path=os.path.dirname(os.path.abspath(template)),
        env_vars_values=env_vars,
    )
    resolved = {f.name: runner._make_env_vars(f).resolve() for f in provider.get_all()}
    json.dump(resolved, sys.stdout)


if __name__ == "__main__":
    main()

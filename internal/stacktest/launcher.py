"""MiniStack with the one stand-in the spoke test (spoke_test.go) needs.

Run it with the Python of .venv (where `make tools` installs MiniStack); the
test does, through awstest.Options.Launcher. It starts MiniStack as
`ministack` would, with the same environment.

The stand-in: MiniStack 1.5.33's CloudFormation evaluates a template's
Conditions without the pseudo parameters, so `{"Ref": "AWS::Region"}` in a
condition is the string "AWS::Region" and `Fn::Equals [AWS::Region,
us-east-1]` is false in every region (its Rules and resource properties do
resolve them). CloudFormation gives a condition the stack's region, account
and partition. The stand-in adds them, as CloudFormation does, to the
parameters the conditions see; a template parameter of the same name cannot
exist (CloudFormation refuses one). The deployed template stays
byte-identical to infra/testdata/spoke.template.json.
"""

import sys

from ministack.core.responses import get_account_id, get_region
from ministack.services.cloudformation import changesets, engine, handlers, stacks

_evaluate_conditions = engine._evaluate_conditions


def _with_pseudo_parameters(template, params):
    params = dict(params or {})
    for name, value in (("AWS::Region", get_region()), ("AWS::AccountId", get_account_id()), ("AWS::Partition", "aws")):
        params.setdefault(name, {"Value": value})
    return _evaluate_conditions(template, params)


# Each module calls it by the name it imported.
for module in (engine, stacks, handlers, changesets):
    module._evaluate_conditions = _with_pseudo_parameters

if __name__ == "__main__":
    from ministack import app

    # Not a stand-in: with USE_SSL MiniStack also binds port 443 when it
    # can; this test runs over plain HTTP, and binds nothing else.
    app._port_is_bindable = lambda *_: False
    sys.argv = [sys.argv[0]]
    sys.exit(app.main())

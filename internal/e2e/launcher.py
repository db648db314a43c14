"""MiniStack with the stand-ins eksdrift's end-to-end test needs.

Run it with the Python of .venv (where `make tools` installs MiniStack):

    .venv/bin/python internal/e2e/launcher.py

It imports MiniStack, registers what the emulator lacks, then starts it as
`ministack` would, with the same environment (GATEWAY_PORT, BIND_HOST, AUTH,
USE_SSL, MINISTACK_SSL_CERT, MINISTACK_SSL_KEY, MINISTACK_ACCOUNT_ID,
MINISTACK_REGION, ...). Each stand-in is for something MiniStack 1.5.33 does
not model, and nothing else; the deployed templates stay byte-identical to
what `cdk synth` writes.

1. AWS::CloudTrail::Trail: MiniStack's CloudFormation has no provisioner for
   it and refuses the whole template ("Unrecognized resource types"). The
   stand-in creates the trail through MiniStack's own CloudTrail API
   (CreateTrail, StartLogging when IsLogging), so DescribeTrails shows it.
   It delivers no log files: the test feeds EventBridge directly.

2. PutEvents with an aws.* source: EventBridge refuses these from callers
   (NotAuthorizedForSourceException), as AWS does, and MiniStack's CloudTrail
   does not forward API calls to EventBridge. The stand-in lets through the
   sources named in EKSDRIFT_E2E_AWS_SOURCES (comma-separated, default
   aws.eks,aws.iam): the test puts the CloudTrail-shaped samples of events/
   on the bus, standing in for CloudTrail's delivery. Any other aws.* source
   is still refused.

3. The resource ARN of an IAM call, under AUTH=true: MiniStack builds it
   from RoleName without the role's path (a grant on role/platform/x is
   denied for GetRole x), and gives "*" for the OIDC-provider calls (a grant
   on oidc-provider/* is denied for GetOpenIDConnectProvider). The stand-in
   gives the ARN AWS checks: the role's ARN with its path, the provider's
   ARN. Nothing is allowed that AWS would deny.

4. EventBridge to Lambda: MiniStack runs the function once, in a thread,
   where AWS invokes it asynchronously, so that Lambda retries a failed
   invocation (twice by default) and then sends the event to the
   function's dead-letter queue. The stand-in dispatches through
   MiniStack's own asynchronous invocation (the one its S3 notifications
   use: retries, then DeadLetterConfig). EventBridge's own retry policy and
   target dead-letter queue (for events it cannot hand to Lambda at all)
   stay unmodelled.

5. AWS::Lambda::Function's DeadLetterConfig: MiniStack's CloudFormation
   provisioner leaves it out of the function it creates, so a failed
   asynchronous invocation has nowhere to go. The stand-in sets it on the
   function it creates, as the Lambda API's CreateFunction would (stack
   updates are not covered: the test deploys once).
"""

import json
import os
import sys

from ministack.core import iam_actions
from ministack.services import cloudtrail, eventbridge
from ministack.services import iam as iam_service
from ministack.services.cloudformation import provisioners

AWS_SOURCES = frozenset(
    s.strip()
    for s in os.environ.get("EKSDRIFT_E2E_AWS_SOURCES", "aws.eks,aws.iam").split(",")
    if s.strip()
)


def _trail_create(logical_id, props, stack_name):
    name = props.get("TrailName") or f"{stack_name}-{logical_id}"
    body = {
        "Name": name,
        "S3BucketName": props.get("S3BucketName", ""),
        "S3KeyPrefix": props.get("S3KeyPrefix", ""),
        "SnsTopicName": props.get("SnsTopicName", ""),
        "IncludeGlobalServiceEvents": bool(props.get("IncludeGlobalServiceEvents", True)),
        "IsMultiRegionTrail": bool(props.get("IsMultiRegionTrail", False)),
        "EnableLogFileValidation": bool(props.get("EnableLogFileValidation", False)),
        "IsOrganizationTrail": bool(props.get("IsOrganizationTrail", False)),
        "KmsKeyId": props.get("KMSKeyId", ""),
    }
    status, _, payload = cloudtrail._create_trail(body)
    if status != 200:
        raise ValueError(f"AWS::CloudTrail::Trail {logical_id}: CreateTrail: {payload.decode()}")
    if props.get("IsLogging", True) in (True, "true", "True"):
        cloudtrail._start_logging({"Name": name})
    if props.get("EventSelectors"):
        cloudtrail._put_event_selectors({"TrailName": name, "EventSelectors": props["EventSelectors"]})
    arn = cloudtrail._trail_arn(name)
    return name, {"Arn": arn, "SnsTopicArn": ""}


def _trail_delete(physical_id, props):
    cloudtrail._delete_trail({"Name": physical_id})


provisioners._RESOURCE_HANDLERS["AWS::CloudTrail::Trail"] = {
    "create": _trail_create,
    "delete": _trail_delete,
}

_put_events = eventbridge._put_events


def _put_events_from_cloudtrail(data, allow_aws_source=False):
    entries = data.get("Entries", [])
    if not allow_aws_source and entries and all(e.get("Source") in AWS_SOURCES for e in entries):
        allow_aws_source = True
    return _put_events(data, allow_aws_source=allow_aws_source)


# handle_request looks the handler up by name at each call.
eventbridge._put_events = _put_events_from_cloudtrail


def _dispatch_to_lambda_async(arn, payload):
    from ministack.services import lambda_svc

    try:
        event = json.loads(payload)
    except (json.JSONDecodeError, TypeError):
        event = {"body": payload}
    func, config, func_name = lambda_svc._get_func_record_for_ref(arn)
    if not func or not config:
        eventbridge.logger.warning("EventBridge -> Lambda: function %s not found", func_name)
        return
    lambda_svc.invoke_async_with_retry(lambda_svc._execution_record_for_config(func, config), event)


eventbridge._dispatch_to_lambda = _dispatch_to_lambda_async

_lambda_handlers = provisioners._RESOURCE_HANDLERS["AWS::Lambda::Function"]
_lambda_create = _lambda_handlers["create"]


def _lambda_create_with_dead_letters(logical_id, props, stack_name):
    from ministack.services import lambda_svc

    name, attrs = _lambda_create(logical_id, props, stack_name)
    target = (props.get("DeadLetterConfig") or {}).get("TargetArn")
    if target:
        lambda_svc._functions[name]["config"]["DeadLetterConfig"] = {"TargetArn": target}
    return name, attrs


_lambda_handlers["create"] = _lambda_create_with_dead_letters

_extract_resource_arn = iam_actions.extract_resource_arn


def _iam_resource_arn(service, method, path, headers, body, query_params, region, account_id):
    arn = _extract_resource_arn(service, method, path, headers, body, query_params, region, account_id)
    if service != "iam":
        return arn
    provider = iam_actions._query_param(query_params, "OpenIDConnectProviderArn")
    if provider and arn == "*":
        return provider
    role = iam_actions._query_param(query_params, "RoleName")
    if role and arn.endswith(":role/" + role):
        record = iam_service._roles.get(role)
        if record and record.get("Arn"):
            return record["Arn"]
    return arn


# Its callers import it by name at each call.
iam_actions.extract_resource_arn = _iam_resource_arn

if __name__ == "__main__":
    from ministack import app

    # Not a stand-in: with USE_SSL MiniStack also binds port 443 when it
    # can (root can), which would collide with other emulators on the host.
    app._port_is_bindable = lambda *_: False
    main = app.main

    sys.argv = [sys.argv[0]]
    sys.exit(main())

#!/usr/bin/env bash
# tools/testenv/services/moto.sh up|down|status|check — the AWS stand-in for the tests: moto in server
# mode on http://127.0.0.1:45001 (ECS, EC2, IAM, CloudWatch Logs, Secrets Manager, STS, SSM, …), from a
# venv with the versions pinned in tools/testenv/requirements-moto.txt. State is in memory: a restart
# forgets every resource. Env written: AWS_ENDPOINT_URL, FLOWENV_AWS_ENDPOINT, test credentials, region.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib.sh"
source "$here/pyvenv.sh"
SERVICE=${SERVICE:-moto}

dir=$(service_dir moto)
venv=$dir/venv
req=$here/requirements-moto.txt
host=127.0.0.1
port=45001
endpoint=http://$host:$port
export NO_PROXY=$host${NO_PROXY:+,$NO_PROXY} no_proxy=$host${no_proxy:+,$no_proxy}

write_moto_env() {
  write_env moto \
    "AWS_ENDPOINT_URL=$endpoint" \
    "FLOWENV_AWS_ENDPOINT=$endpoint" \
    "AWS_ACCESS_KEY_ID=testing" \
    "AWS_SECRET_ACCESS_KEY=testing" \
    "AWS_REGION=us-east-1" \
    "AWS_DEFAULT_REGION=us-east-1" \
    "AWS_EC2_METADATA_DISABLED=true" \
    "FLOWENV_MOTO_VERSION=$(cat "$dir/version")"
}

stop_all() {
  rm -f "$dir/ready"
  stop_ours "$dir/server.pid" "$venv"
}

up() {
  if ! venv_current "$venv" "$req"; then
    stop_all                       # a running server would be from the old venv
    build_venv "$venv" "$req"
    rm -f "$dir/version"
  fi
  [ -s "$dir/version" ] || "$venv/bin/python" -c 'import moto; print(moto.__version__)' >"$dir/version"

  # A server started by an older version of this script is restarted with the current arguments.
  local fingerprint; fingerprint=$(sha256sum <"${BASH_SOURCE[0]}" | cut -d' ' -f1)
  if [ -f "$dir/ready" ] && [ "$(cat "$dir/ready")" != "$fingerprint" ]; then
    log "${BASH_SOURCE[0]##*/} changed since the last up: restarting"
    stop_all
  fi
  if [ -f "$dir/ready" ] && pid_owned "$dir/server.pid" "$venv" && port_open "$host" "$port"; then
    write_moto_env
    return 0
  fi
  rm -f "$dir/ready"

  if ! pid_owned "$dir/server.pid" "$venv"; then
    stop_ours "$dir/server.pid" "$venv"     # what a dead daemon left in its session
    port_open "$host" "$port" && die "$host:$port is in use by a process testenv did not start"
    log "starting moto_server on $endpoint"
    start_daemon "$dir/server.pid" "$dir/server.log" "$venv/bin/moto_server" -H "$host" -p "$port"
  fi
  log "waiting for $endpoint/moto-api/"
  (cd / && "$venv/bin/python" - "$endpoint/moto-api/" <<'PY') || die "moto_server not ready (see $dir/server.log)"
import sys, time, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
deadline = time.monotonic() + 60
while True:
    try:
        with opener.open(sys.argv[1], timeout=2) as response:
            if response.status == 200:
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.1)
PY
  pid_owned "$dir/server.pid" "$venv" || die "moto_server exited (see $dir/server.log)"
  echo "$fingerprint" >"$dir/ready"
  write_moto_env
}

down() {
  stop_all
  rm -f "$dir/env"
}

status() {
  pid_owned "$dir/server.pid" "$venv" && port_open "$host" "$port"
}

# check — the calls the AWS providers rely on, against the running server; cleans up after itself.
# Uses its own region so it does not disturb resources tests made in us-east-1.
check() {
  status || die "not running"
  (cd / && AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "$venv/bin/python" - "$endpoint" <<'PY')
import sys, boto3
endpoint, region = sys.argv[1], "eu-west-3"
client = lambda name: boto3.client(name, endpoint_url=endpoint, region_name=region)
ecs, logs, sm, sts, ec2, iam, ssm = (client(n) for n in ("ecs", "logs", "secretsmanager", "sts", "ec2", "iam", "ssm"))

identity = sts.get_caller_identity()
cluster = ecs.create_cluster(clusterName="testenv-check")["cluster"]["clusterArn"]
td = ecs.register_task_definition(
    family="testenv-check", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
    # moto 5.2.5's run_task fails with a 500 unless every container has memory (or memoryReservation),
    # even for Fargate where the task-level memory is enough on real ECS.
    containerDefinitions=[{"name": "flow", "image": "flowenv/check:latest", "command": ["flowenv", "execute"], "memory": 512,
                           "logConfiguration": {"logDriver": "awslogs", "options": {
                               "awslogs-group": "/testenv/check", "awslogs-region": region, "awslogs-stream-prefix": "c"}}}],
)["taskDefinition"]["taskDefinitionArn"]
vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"][0]["GroupId"]
run = ecs.run_task(cluster=cluster, taskDefinition=td, launchType="FARGATE", count=1,
                   networkConfiguration={"awsvpcConfiguration": {
                       # moto 5.2.5 also 500s without securityGroups (optional on real ECS)
                       "subnets": [subnet], "securityGroups": [group], "assignPublicIp": "ENABLED"}},
                   overrides={"containerOverrides": [{"name": "flow", "environment": [{"name": "A", "value": "1"}]}]})
assert not run["failures"], run["failures"]
task_arn = run["tasks"][0]["taskArn"]
described = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"]
assert described and described[0]["taskArn"] == task_arn, described
logs.create_log_group(logGroupName="/testenv/check")
secret = sm.create_secret(Name="testenv-check", SecretString="s3cr3t")["ARN"]
role = iam.create_role(RoleName="testenv-check", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
ssm.put_parameter(Name="/testenv/check", Value="v", Type="String")

# clean up
ssm.delete_parameter(Name="/testenv/check")
iam.delete_role(RoleName="testenv-check")
sm.delete_secret(SecretId=secret, ForceDeleteWithoutRecovery=True)
logs.delete_log_group(logGroupName="/testenv/check")
ecs.stop_task(cluster=cluster, task=task_arn)
ecs.deregister_task_definition(taskDefinition=td)
ecs.delete_cluster(cluster=cluster)
print(f"moto ok: account {identity['Account']}, task {described[0]['lastStatus']}, secret, log group, role, parameter")
PY
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  check) check ;;
  *) die "usage: moto.sh up|down|status|check" ;;
esac

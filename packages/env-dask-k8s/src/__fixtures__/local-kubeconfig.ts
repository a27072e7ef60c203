// A kubeconfig for a plain-HTTP test server on 127.0.0.1 (the SDK allows http:// only with
// insecure-skip-tls-verify), with a bearer token.
export function localKubeConfigYaml(port: number, options: { namespace?: string; token?: string } = {}): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: local',
    '  cluster:',
    `    server: http://127.0.0.1:${port}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: tester',
    '  user:',
    `    token: ${options.token ?? 'test-token'}`,
    'contexts:',
    '- name: local',
    '  context:',
    '    cluster: local',
    '    user: tester',
    ...(options.namespace ? [`    namespace: ${options.namespace}`] : []),
    'current-context: local',
    '',
  ].join('\n');
}

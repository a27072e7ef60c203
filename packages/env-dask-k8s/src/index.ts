// DaskKubernetesEnvironment: in progress.
export {};

"""Dev-only tools shared by the tests, the benchmark and the local stack; never deployed.

`template` reads template.yaml, `lambdas` loads the functions as Lambda does, `apigw` builds API Gateway events,
`environment` holds the local settings, `moto_fidelity` lists every patch to moto, `openapi` is the drift gate.
"""

# prokube.mlflow — the two commands of the README, and the steps they are made of.
#   make demo   set up everything, start a local MLflow (+ IdP mock, Kubernetes stand-in), run the main job twice
#   make test   set up everything and run the whole suite (docs, unit, ansible-lint, sanity, integration, molecule)
SHELL := /bin/bash
.PHONY: demo test bootstrap unit lint sanity integration molecule bench clean

demo:
	bash tests/harness/demo.sh

test:
	bash tests/harness/test.sh

bootstrap:
	bash tests/harness/bootstrap.sh

unit: bootstrap
	bash tests/harness/test.sh unit

lint: bootstrap
	bash tests/harness/test.sh lint

sanity: bootstrap
	bash tests/harness/test.sh sanity

integration: bootstrap
	bash tests/harness/test.sh integration

molecule: bootstrap
	bash tests/harness/test.sh molecule

bench: bootstrap
	bash tests/harness/bench.sh

clean:
	rm -rf .run tests/output

# FiuFit backend: the two commands (`make up`, `make test`) and a few helpers.
SHELL := /bin/bash

.PHONY: up test infra stop status lint wipe

## Run the whole platform locally, in the foreground (Ctrl-C stops everything it started).
up:
	overlays/up.sh

## Install every service's environment, start what the tests need, run every test suite.
test:
	overlays/test.sh

## Start only the infrastructure (Postgres, Redis, MongoDB wire server, emulators, anvil).
infra:
	overlays/infra.sh start

## Stop what overlays/infra.sh started.
stop:
	overlays/infra.sh stop

status:
	overlays/infra.sh status

lint:
	for service in $$(overlays/services.sh); do $(MAKE) -C $$service lint || exit 1; done

## Delete local data (databases of the local stack stay in Postgres; drop them by hand).
wipe: stop
	rm -rf .local/mongo .local/gcs .local/anvil .local/redis

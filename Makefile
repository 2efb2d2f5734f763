# FiuFit backend: the two commands (`make up`, `make test`) and a few helpers.
SHELL := /bin/bash

.PHONY: up test test-containers infra stop status lint audit wipe seed load soak

## Run the whole platform locally, in the foreground (Ctrl-C stops everything it started).
up:
	overlays/up.sh

## Install every service's environment, start what the tests need, run every test suite.
test:
	overlays/test.sh

## Build every image, run the platform under docker compose, replay the journeys through its
## gateway, tear down with volumes (starts a Docker engine where none runs; see the README).
test-containers:
	overlays/test-containers.sh

## Start only the infrastructure (Postgres, Redis, MongoDB wire server, emulators, anvil).
infra:
	overlays/infra.sh start

## Stop what overlays/infra.sh started.
stop:
	overlays/infra.sh stop

status:
	overlays/infra.sh status

lint:
	python3 overlays/check_glue.py
	for service in $$(overlays/services.sh); do $(MAKE) -C $$service lint || exit 1; done
	$(MAKE) -C overlays/e2e --no-print-directory lint
	$(MAKE) -C overlays/load --no-print-directory lint

## pip-audit of every service's locked dependencies, as CI's audit job; the advisories it ignores
## are in overlays/pip-audit-ignore.txt. Needs PyPI's vulnerability data (its JSON API): where
## that is unreachable, as on this project's build machines, it fails. Not part of `make test`.
audit:
	overlays/audit.sh

## Load demo data through the gateway (needs `make up` running in another terminal).
seed:
	$(MAKE) -C overlays/e2e --no-print-directory seed

## Load test through the gateway with locust (needs `make up` running in another terminal):
## the clients' journeys, then req/s, p50/p95/p99 per endpoint and the errors; exit 1 on any
## error. `make load USERS=50 SPAWN=10 DURATION=2m` (defaults 25, 5, 1m; THINK=1-3 seconds).
load:
	overlays/load/run.sh

## The same for 10 minutes (DURATION=... changes it), sampling every service's RSS every 30 s:
## a table, and whether each stayed flat (also `make load SOAK=1`).
soak:
	SOAK=1 overlays/load/run.sh

## Delete the local stack's data: its Postgres databases, MongoDB, objects, chain, keys.
wipe: stop
	for db in users payment trainings goals; do \
	  psql -h 127.0.0.1 -U postgres -qc "drop database if exists $$db with (force)"; done
	rm -rf .local/mongo .local/gcs .local/anvil .local/redis .local/firebase .local/secrets

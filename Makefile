# kstreams — the two commands: `make demo` and `make test`. Both set everything up themselves.
#
#   make demo   virtualenv + package, a local Kafka (unless KSTREAMS_BOOTSTRAP_SERVERS names one),
#               the example app end to end, its result printed
#   make test   the same set-up, then the whole test suite against a real broker
#   make test-differential   every scenario through Kafka Streams' TopologyTestDriver and ours
#   make lint   ruff
#   make bench  the benchmark suite (prints its figures)
#   make docker-engine / docker-engine-stop   a private Docker engine (root; docker/engine.sh)
#   make kafka-image / app-image   the local images CI tests with (docker/*-image.sh; print tags)

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.kstreams-installed

.PHONY: install demo test test-unit test-differential lint format bench broker-start broker-stop clean \
	docker-engine docker-engine-stop kafka-image app-image

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,avro]'
	@# an editable install compiles nothing, and where PYTHONDONTWRITEBYTECODE is set no process
	@# writes __pycache__ either: every app and test process would compile kstreams (~0.5 s)
	$(PY) -m compileall -q kstreams
	@touch $(STAMP)

install: $(STAMP)

# The local broker, as the README says, also where a Docker engine answers (unless told otherwise).
demo: install
	KSTREAMS_BROKER_BACKEND=$${KSTREAMS_BROKER_BACKEND:-local} $(PY) examples/demo.py

# pytest exits 5 when it collected no tests: a run that tests nothing is a failure.
# TEST_WORKERS pytest-xdist workers (0: all in one process), each with its own broker (container
# or local KRaft node), each test module whole on one of them (--dist loadfile: module fixtures
# and the modules that restart their broker stay as they are). The heavy modules (chaos, the
# 3-broker and secured clusters, the kill/restart ones: HEAVY_MODULES in tests/conftest.py) are
# one unit, run one after another on one worker while the other runs the rest. The default is
# still 0: on 2 busy cores the 3-broker cluster starved the other worker's broker (see
# docs/guide/testing.md). --durations: the slowest tests and modules, each worker's busy time.
TEST_WORKERS ?= 0
test: install
	@$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=25 $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

test-unit: install
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

# needs JDK 17+ and Maven; the Java side is built once into ~/.cache/kstreams/differential
test-differential: install
	$(PY) -m pytest tests/differential $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check kstreams tests examples bench
	$(PY) -m ruff format --check kstreams tests examples bench

format: install
	$(PY) -m ruff format kstreams tests examples bench
	$(PY) -m ruff check --fix kstreams tests examples bench

bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

broker-start: install
	@$(PY) -m kstreams.testing.broker start

broker-stop: install
	@$(PY) -m kstreams.testing.broker stop

# Docker without a registry (see .ci/run): `eval "$$(make -s docker-engine)"` sets DOCKER_HOST.
docker-engine:
	@docker/engine.sh start

docker-engine-stop:
	@docker/engine.sh stop

kafka-image: install
	@docker/kafka-image.sh

app-image: install
	@docker/app-image.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info

# Two commands on a fresh machine: `make bench` and `make test`.
# They create .venv, install the project with the extras they need (only when
# pyproject.toml changed) and, as root, the Debian packages the stages need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# postgresql and redis-server for the team topology, Java 17 for Spark
DEBIAN_PACKAGES := chromium chromium-driver git-lfs prometheus prometheus-pushgateway hey shellcheck \
	postgresql redis-server openjdk-17-jre-headless
# the deck test converts report.pptx to PDF and reads it back; recommends would add ~1 GB
DEBIAN_LEAN_PACKAGES := libreoffice-impress poppler-utils
DEBIAN_PROGRAMS := chromium chromedriver git-lfs prometheus prometheus-pushgateway hey soffice pdftotext shellcheck \
	pg_ctlcluster redis-server java

.PHONY: bench bench-team test report system-packages clean

# the stages' time split is printed at the end of `bakeoff run`; the last line sums up all three
bench: $(STAMP) system-packages
	@started=$$(date +%s); \
	$(BIN)/bakeoff run --stage all || exit $$?; ran=$$(date +%s); \
	$(BIN)/bakeoff install-evidence || exit $$?; evidence=$$(date +%s); \
	$(BIN)/bakeoff report || exit $$?; finished=$$(date +%s); \
	echo "make bench: $$((finished - started)) s wall: stages $$((ran - started)) s, install evidence" \
		"$$((evidence - ran)) s, report $$((finished - evidence)) s."
	@echo "The report is at reports/out/report.html (and reports/out/report.md)."

# the production set-ups (servers on PostgreSQL/Redis, Celery workers, Spark): long, so apart
bench-team: $(STAMP) system-packages
	$(BIN)/bakeoff run --stage all --topology team
	$(BIN)/bakeoff run --stage validation --engine spark --time-limit 3600
	$(BIN)/bakeoff report
	@echo "The report is at reports/out/report.html (team and Spark sections after their stages)."

test: $(STAMP) system-packages
	$(BIN)/ruff check .
	$(BIN)/python -m pytest tests -n 2 --dist loadfile --no-loadscope-reorder --durations=30 -rx

report: $(STAMP)
	$(BIN)/bakeoff report

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	# uv resolves and installs the same requirements in seconds where pip takes minutes;
	# --compile-bytecode writes the .pyc files pip would (uv skips them by default), so
	# no tool process compiles its imports again: with PYTHONDONTWRITEBYTECODE set, as on
	# this machine, importing Airflow took 16 s instead of 8
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e ".[all]"
	touch $(STAMP)

# Installs what is missing when run as root; otherwise the stages that need a
# missing program report "not run: install X" instead of failing.
system-packages:
	@missing=""; for p in $(DEBIAN_PROGRAMS); do command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian packages for:$$missing"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES) >/dev/null \
		 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEBIAN_LEAN_PACKAGES) >/dev/null) \
			|| echo "warning: could not install $(DEBIAN_PACKAGES); stages needing them will report 'not run'"; \
	else \
		echo "note: missing$$missing; run 'make' as root to install them, or those tools report 'not run'"; \
	fi

clean:
	rm -rf $(VENV) reports/out

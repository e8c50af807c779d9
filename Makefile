# The README's two commands: `make run` and `make test`. Both install what is missing and provision
# PostgreSQL+PostGIS and Redis first.
PY := .venv/bin/python
DEMO := GP_DEMO=1

.PHONY: install provision run test bench lint
install:
	@bash scripts/install.sh

provision: install
	@bash scripts/provision.sh

run: provision
	$(DEMO) $(PY) manage.py migrate --noinput
	$(DEMO) $(PY) manage.py collectstatic --noinput -v 0
	$(DEMO) $(PY) manage.py load_demo
	$(DEMO) $(PY) manage.py refresh_records
	@echo "Plateforme sur http://127.0.0.1:8000 (comptes de démonstration : voir README.md). Ctrl+C pour arrêter."
	$(DEMO) .venv/bin/honcho -f Procfile start

test: provision
	$(PY) -m pytest $(PYTEST_ARGS)

bench: provision
	$(PY) -m pytest tests/bench -s -p no:cacheprovider $(PYTEST_ARGS)

lint: install
	.venv/bin/ruff check .

# The two commands: `make book` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Kernels started by Jupyter Book and nbval must find the virtual environment's python.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# No MPLBACKEND here: the chapters' kernels must use matplotlib's inline
# backend (ipykernel's default), or the book would have no figures.
unexport MPLBACKEND
# The chapters multiply small matrices, for which extra BLAS threads cost more
# to synchronise than they save (and crawl when the machine is busy).
OPENBLAS_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS

.PHONY: bench book test notebooks lab serve clean install

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[book,test]'
	touch $(STAMP)

## make book: build the HTML book into _build/html (chapters executed, cached)
book: $(STAMP)
	$(BIN)/jupyter-book build . --builder html -n -W --keep-going

## make test: unit tests, every chapter through nbval, a strict structural build,
## and the built site in headless Chromium (tests/test_site.py builds the book
## first, as `make book` does, reusing its execution cache)
# Two workers (TEST_WORKERS=0 runs in one process); --dist loadfile keeps each
# chapter's cells, and each test file, on one worker.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

## make notebooks: write every chapter as an .ipynb into _build/notebooks
notebooks: $(STAMP)
	mkdir -p _build/notebooks
	for f in chapters/*.md; do $(BIN)/jupytext --to ipynb -o _build/notebooks/$$(basename $$f .md).ipynb $$f || exit 1; done

## make lab: open the chapters in JupyterLab; jupytext opens each .md as a notebook
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	mkdir -p $(dir $(LAB_SETTINGS))
	test -f $(LAB_SETTINGS) || echo '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}' > $(LAB_SETTINGS)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) chapters/

## make bench: time mlcore's conv layers against PyTorch CPU (when installed), Numba's cache and autograd's per-op overhead
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/numba_cache.py
	$(BIN)/python benchmarks/overhead.py
	$(BIN)/python benchmarks/recurrent.py

## make serve: serve the built book on http://localhost:8000
serve:
	$(BIN)/python -m http.server --directory _build/html 8000

clean:
	rm -rf _build .pytest_cache .hypothesis

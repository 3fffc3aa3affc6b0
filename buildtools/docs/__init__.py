"""Documentation generated from the sources it describes, run from the dev venv (`make docs`
writes it, `make lint` fails when it is stale): the Terraform modules' inputs and outputs in their
READMEs, and the cost page from the root's variables and the benchmarks' JSON.

Not part of the build: build.sh never runs this package (it may use the venv's libraries, such as
python-hcl2), and the build's inputs key hashes only buildtools/*.py, so changing it rebuilds no zip.
"""

# The two commands (see README): `make serve` and `make test`. Each installs what is missing.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/tools/bin:$(PATH)
export XDG_RUNTIME_DIR ?= /tmp
# One target directory for make and .ci/run (scripts/test.sh uses the same default).
export CARGO_TARGET_DIR ?= $(HOME)/.cache/pinhole-target

.PHONY: setup build serve shards test test-native test-e2e bench bench-webcam bench-training bench-teach bench-all clean

setup:
	@./scripts/setup.sh

## Release build of the page into dist/ (UI wasm + engine worker wasm).
build: setup
	trunk build

CIFAR10_DATA ?= ../shared/data/cifar10

## Build and serve the app on http://127.0.0.1:8080/ (with a CIFAR-10 shard set at data/cifar10/)
serve: build shards
	@echo "Pinhole at http://127.0.0.1:8080/"
	python3 -m http.server 8080 --bind 127.0.0.1 --directory dist

## CIFAR-10 (a folder of the official .bin files or the tarball) as shards under the served site.
shards:
	cargo run -p pinhole-cli --bin pinhole -- shard --data "$(CIFAR10_DATA)" --out dist/data/cifar10

## Every test: native (cargo) and end-to-end (headless Chromium).
test: setup
	./scripts/test.sh

test-native:
	cargo test --locked

test-e2e: build
	cd tests/e2e && node --test --test-concurrency=1 *.test.mjs

## Inference speed per preset and backend in headless Chromium, as JSON.
bench: build
	node tests/e2e/bench.mjs

## Webcam-path frames per second per backend, with and without saliency, as JSON.
bench-webcam: build
	node tests/e2e/webcam-bench.mjs

## Training throughput (images/s, ms per step) per backend and preset in headless Chromium, as JSON.
bench-training: build
	node tests/e2e/train-bench.mjs

## Teach speed (features, head, live webcam with the taught head) per backend, as JSON.
bench-teach: build
	node tests/e2e/teach-bench.mjs --out tests/e2e/artifacts/teach-bench.json

## Every benchmark above, one after another, as one JSON object (also tests/e2e/artifacts/bench-all.json).
bench-all: build shards
	node tests/e2e/bench-all.mjs

clean:
	rm -rf dist target "$(CARGO_TARGET_DIR)"

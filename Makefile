# The two commands of the README. Both install the dependencies first when node_modules is
# missing or older than package.json or package-lock.json (`npm ci`: exactly the committed
# lockfile, never rewriting it), so a fresh clone needs nothing but Node 20, npm and (for
# DynamoDB Local) Java 17, and leaves `git status` clean.
.PHONY: demo soak test bench lint typecheck build clean layer package terraform-check chaos

NPM_INSTALL_STAMP := node_modules/.package-lock.json

# Node without the AWS SDK's notice about Node 20 (demo, soak, bench, chaos and test).
NODE_QUIET := AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node

# `npm ci` refuses a lockfile that does not match package.json: after changing a dependency, run
# `npm install` and commit both files. The lockfile lists every platform's optional binaries
# (biome, swc, esbuild), as npm writes it, so the same file serves Linux, macOS and Windows.
$(NPM_INSTALL_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: $(NPM_INSTALL_STAMP)
	node scripts/build.mjs

demo: build
	@# The SDK notice about Node 20 is printed by every process; the README says it once.
	$(NODE_QUIET) .build/scripts/simulator/demo.js $(ARGS)

# `make soak` (not part of `make test`; about 4 to 6 minutes on 2 cores): 16 containers, 100,000
# invocations on 1-second tokens with 5% revocations; invariants checked every second, memory per
# container at the end.
# Shrink it with ARGS="--containers 4 --invocations 500"; figures in scripts/soak/RESULTS.md.
soak: build
	$(NODE_QUIET) .build/scripts/soak/soak.js $(ARGS)

# `make bench` (full, at most 10 minutes) or `make bench QUICK=1` (at most 90 s): this project
# side by side with the alternatives; results in scripts/bench/results/.
bench: build
	$(NODE_QUIET) .build/scripts/bench/bench.js $(if $(QUICK),--quick) $(ARGS)

# `make chaos`: every fault scenario against the local stack, many containers each (about
# 5 minutes); prints the table, writes it into docs/chaos.md, exits 1 when a row fails.
CHAOS := $(NODE_QUIET) .build/scripts/chaos/chaos.js
chaos: build
	$(CHAOS) --readme docs/chaos.md $(ARGS)

lint: $(NPM_INSTALL_STAMP)
	npx biome check

typecheck: $(NPM_INSTALL_STAMP)
	npx tsc --noEmit -p tsconfig.json

# The chaos matrix, without touching docs/chaos.md (that is `make chaos`); then Jest.
# JEST_ARGS lets .ci/run ask for Jest's JSON results; a plain `make test` needs none.
test: lint typecheck build terraform-check
	$(CHAOS)
	node --experimental-vm-modules node_modules/jest/bin/jest.js $(JEST_ARGS)

# `make terraform-check`: examples/terraform formatted and valid, its table applied to DynamoDB
# Local and the simulator run on it. One "skipped" line where terraform or a provider mirror is missing.
terraform-check: build
	@node scripts/terraform/check.mjs

# `make layer`: the Lambda layer zip, .build/layer/lambda-shared-token-layer.zip (no @aws-sdk inside:
# the runtime provides it). Prints its size, its contents and the publish command.
layer: $(NPM_INSTALL_STAMP)
	npx esbuild scripts/layer/build-layer.ts --bundle --platform=node --format=esm --target=node20 \
		--packages=external --outfile=.build/scripts/layer/build-layer.js --log-level=warning
	node .build/scripts/layer/build-layer.js

# `make package`: the npm tarball, .build/package/lambda-shared-token-<version>.tgz, as `npm publish`
# would upload it (`prepack` builds dist/: scripts/package/build-dist.mjs). Install it with
# `npm install -D <path to the .tgz>` until the package is on the registry.
package: $(NPM_INSTALL_STAMP)
	@mkdir -p .build/package
	npm pack --pack-destination .build/package

clean:
	rm -rf .build dist coverage

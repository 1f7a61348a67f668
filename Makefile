# The two commands: `make run` and `make test`. Both install what they need first (as root on
# Debian 12) and are idempotent.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run test bench format check-format clean

all: build

deps:
	@scripts/install-deps

configure: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE); fi

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Builds and starts the server on http://127.0.0.1:8080 with the embedded defaults.
run: build
	$(BUILD_DIR)/studybot serve

# Builds and runs every test (SQLite and MariaDB storage suites, HTTP, bad input).
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

bench: build
	bench/run.sh

format:
	find src tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

check-format:
	find src tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format --dry-run -Werror

clean:
	rm -rf $(BUILD_DIR)

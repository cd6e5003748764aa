/*
 * A main() for fuzz targets that measures executions per second: loads
 * every file given (or inside a folder given) and runs them through
 * LLVMFuzzerTestOneInput in a loop for --time seconds (default 5).
 * Prints "NAME: N execs in T s, X exec/s over K inputs; C CPU s, Y
 * exec/CPU-s" (Y: per core of this process's own CPU time, the figure that
 * holds on a shared, loaded machine).  Built, like
 * standalone.c, when fuzz_engine=none (`meson test --benchmark`).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

struct input {
	uint8_t *data;
	size_t len;
};

static struct input *inputs;
static size_t ninputs, cap;

static void load_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	long len;
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (len < 0 || (ninputs == cap &&
	                !(inputs = realloc(inputs, (cap = cap ? 2 * cap : 64) * sizeof *inputs)))) {
		fclose(f);
		return;
	}
	uint8_t *b = malloc(len ? (size_t)len : 1);
	if (b && fread(b, 1, (size_t)len, f) == (size_t)len) {
		inputs[ninputs].data = b;
		inputs[ninputs].len = (size_t)len;
		ninputs++;
	} else {
		free(b);
	}
	fclose(f);
}

static void load(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		load_file(path);
		return;
	}
	DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char sub[4096];
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
		load(sub);
	}
	if (d)
		closedir(d);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process: on a shared machine the wall-clock rate measures the load. */
static double cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = 5;
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--time") == 0 && i + 1 < argc)
			secs = atof(argv[++i]);
		else
			load(argv[i]);
	}
	if (!ninputs) {
		fprintf(stderr, "%s: no inputs\n", name);
		return 1;
	}
	unsigned long long execs = 0;
	double t0 = now(), c0 = cpu(), t, c;
	do {
		for (size_t i = 0; i < ninputs; i++)
			LLVMFuzzerTestOneInput(inputs[i].data, inputs[i].len);
		execs += ninputs;
		t = now();
	} while (t - t0 < secs);
	c = cpu() - c0;
	printf(
	    "%s: %llu execs in %.2f s, %.0f exec/s over %zu inputs; %.2f CPU s, %.0f exec/CPU-s\n",
	    name, execs, t - t0, (double)execs / (t - t0), ninputs, c,
	    c > 0 ? (double)execs / c : 0.0);
	for (size_t i = 0; i < ninputs; i++)
		free(inputs[i].data);
	free(inputs);
	return 0;
}

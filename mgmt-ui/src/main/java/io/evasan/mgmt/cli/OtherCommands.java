package io.evasan.mgmt.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

/** {@code sanctl metrics} and {@code sanctl openapi}: the appliance's text and API documents. */
final class OtherCommands {
    private OtherCommands() {
    }

    @Command(name = "metrics", description = "The Prometheus metrics text (GET /metrics); with PREFIX arguments only the "
            + "metric families whose name starts with one of them.")
    static final class Metrics extends ApiCommand {
        @Parameters(arity = "0..*", paramLabel = "PREFIX", description = "Metric name prefix, e.g. evasan_cache.")
        List<String> prefixes;

        @Override
        void run() {
            String text = api().get("/metrics").body();
            if (prefixes == null || prefixes.isEmpty()) {
                out().print(text.endsWith("\n") || text.isEmpty() ? text : text + "\n");
                return;
            }
            for (String line : text.split("\n", -1)) {
                String name = line.startsWith("# HELP ") || line.startsWith("# TYPE ") ? line.substring(7) : line;
                if (!line.isEmpty() && prefixes.stream().anyMatch(name::startsWith)) {
                    out().println(line);
                }
            }
        }
    }

    @Command(name = "openapi", description = "The API's OpenAPI 3 document (JSON).")
    static final class OpenApi extends ApiCommand {
        @Override
        void run() {
            raw(api().get("/api/openapi.json"));
        }
    }
}

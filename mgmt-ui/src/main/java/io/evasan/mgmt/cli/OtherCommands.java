package io.evasan.mgmt.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** {@code sanctl metrics}, {@code sanctl openapi} and {@code sanctl events}: metrics text, API document, live events. */
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

    @Command(name = "events", description = "Follow the appliance's live events (GET /api/events): which resources changed, "
            + "and job progress every second while a job runs. One line per event; with --json one JSON object per line "
            + "{\"event\":...,\"data\":...}. Runs until the appliance ends the stream, Ctrl-C, or --count events.")
    static final class Events extends ApiCommand {
        private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

        @Option(names = {"-n", "--count"}, paramLabel = "N", description = "Stop after N events.")
        Integer count;

        @Option(names = "--since", paramLabel = "WHEN", description = "List the stored event log instead of following: events "
                + "since WHEN (a duration back from now: 90s, 30m, 1h, 7d; or an ISO-8601 instant).")
        String since;

        @Option(names = "--object", paramLabel = "OBJECT", description = "With --since: only events of this object, e.g. \"lun db1\".")
        String object;

        @Option(names = "--severity", paramLabel = "LEVEL", description = "With --since: only events at least this severe: INFO, WARNING, CRITICAL.")
        String severity;

        private String event;
        private final StringBuilder data = new StringBuilder();
        private int seen;

        @Override
        void run() {
            if (count != null && count < 1) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--count must be at least 1");
            }
            if (since != null) {
                EventLogListing.print(this, since, object, severity, count);
                return;
            }
            if (object != null || severity != null) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--object and --severity need --since");
            }
            boolean stopped = api().stream("/api/events", this::line);
            if (!stopped) {
                out().flush();
                throw new UnreachableException("the appliance at " + api().base() + " ended the event stream", null);
            }
        }

        /** One SSE line: fields accumulate, a blank line dispatches the event; comments (": ping") are skipped. */
        private boolean line(String l) {
            if (l.isEmpty()) {
                if (event != null || data.length() > 0) {
                    print(event == null ? "message" : event, data.toString());
                    seen++;
                }
                event = null;
                data.setLength(0);
                return count == null || seen < count;
            }
            if (l.startsWith(":")) {
                return true;
            }
            int colon = l.indexOf(':');
            String field = colon < 0 ? l : l.substring(0, colon);
            String value = colon < 0 ? "" : l.substring(colon + 1).startsWith(" ") ? l.substring(colon + 2) : l.substring(colon + 1);
            if (field.equals("event")) {
                event = value;
            } else if (field.equals("data")) {
                if (data.length() > 0) {
                    data.append('\n');
                }
                data.append(value);
            }
            return true;
        }

        private void print(String name, String text) {
            Object value;
            try {
                value = new JsonObject(text);
            } catch (DecodeException | ClassCastException e) {
                value = text;
            }
            if (json()) {
                out().println(new JsonObject().put("event", name).put("data", value).encode());
            } else {
                out().println(CLOCK.format(Instant.now()) + " " + name + ": " + describe(name, value));
            }
            out().flush();
        }

        private static String describe(String name, Object value) {
            if (!(value instanceof JsonObject o)) {
                return String.valueOf(value).replace('\n', ' '); // one line per event
            }
            if (name.equals("changed") && o.getJsonArray("topics") != null) {
                return joined(o.getJsonArray("topics"));
            }
            if (name.equals("jobs")) {
                List<String> l = new ArrayList<>();
                if (o.getJsonArray("jobs") != null) {
                    for (JsonObject j : objects(o.getJsonArray("jobs"))) {
                        l.add(str(j, "id") + " " + str(j, "state") + " " + JobCommands.progress(j));
                    }
                } else {
                    for (JsonObject b : objects(o.getJsonArray("rebuilds"))) {
                        l.add("rebuild-" + num(b, "group") + " " + (b.getBoolean("finished", false) ? "DONE" : "RUNNING") + " "
                                + JobCommands.progress(b));
                    }
                    for (JsonObject b : objects(o.getJsonArray("bgcopies"))) {
                        l.add("bgcopy-" + str(b, "snapshot") + " " + str(b, "state") + " " + JobCommands.progress(b));
                    }
                }
                return l.isEmpty() ? "no jobs" : String.join("; ", l);
            }
            return flat(o);
        }
    }
}

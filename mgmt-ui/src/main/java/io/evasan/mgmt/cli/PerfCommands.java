package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.Locale;

/**
 * {@code sanctl perf lun|controller|port NAME [--since 1h] [--resolution 10s|5m] [--csv]} (GET /api/perf) and
 * {@code sanctl perf capacity} (GET /api/capacity): the performance history and the capacity forecast.
 */
@Command(name = "perf", description = "Performance history (IOPS, MB/s, latency p50/p99) and capacity with its forecast.",
        subcommands = {PerfCommands.Lun.class, PerfCommands.Controller.class, PerfCommands.Port.class,
                PerfCommands.Capacity.class})
final class PerfCommands {
    private PerfCommands() {
    }

    /** The history of one object over the last {@code --since}. */
    abstract static class History extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--since", paramLabel = "DURATION", defaultValue = "1h", converter = Converters.DurationArg.class,
                description = "How far back: 90s, 15m, 1h, 1d … (default: 1h).")
        Duration since;

        @Option(names = "--resolution", paramLabel = "RES", description = "10s, 5m or auto (default: 10s within the last 24 h).")
        String resolution;

        @Option(names = "--csv", description = "Print the CSV export (time,iops,…,latency_p99_ms) instead of a table.")
        boolean csv;

        /** The object kind of the series: the subcommand's name (lun, controller, port). */
        String kind() {
            return spec.name();
        }

        @Override
        void run() {
            String q = "/api/perf?object=" + ApiClient.seg(kind() + "/" + name)
                    + "&from=" + (System.currentTimeMillis() - since.toMillis())
                    + (resolution == null ? "" : "&resolution=" + ApiClient.seg(resolution)) + (csv ? "&format=csv" : "");
            ApiClient.Response r = api().get(q);
            if (csv) {
                out().print(r.body());
                return;
            }
            reply(null, r, x -> {
                JsonObject o = x.object();
                Table t = new Table("TIME", "IOPS", "MB/S", "P50 MS", "P99 MS");
                for (JsonObject p : objects(o.getJsonArray("points"))) {
                    t.row(Units.formatTime(p.getLong("t")), fixed(p.getValue("iops")), fixed(p.getValue("mbps")),
                            fixed(p.getValue("latencyP50Ms")), fixed(p.getValue("latencyP99Ms")));
                }
                out().println(kind() + " " + name + ": " + o.getString("resolution") + " points from " + o.getString("from"));
                t.print(out(), "no points in that range");
            });
        }

        private static String fixed(Object v) {
            return v instanceof Number n ? String.format(Locale.ROOT, "%.2f", n.doubleValue()) : "-";
        }
    }

    @Command(name = "lun", description = "History of a LUN (or presented snapshot).")
    static final class Lun extends History {
    }

    @Command(name = "controller", description = "History of a controller (all I/O its SCSI target served).")
    static final class Controller extends History {
    }

    @Command(name = "port", description = "History of a host port (an iSCSI portal, HOST:PORT).")
    static final class Port extends History {
    }

    @Command(name = "capacity", description = "Allocated bytes per LUN, private bytes per snapshot, disk groups with the days until full.")
    static final class Capacity extends ApiCommand {
        @Override
        void run() {
            reply(null, api().get("/api/capacity"), r -> {
                JsonObject o = r.object();
                Table g = new Table("GROUP", "CAPACITY", "USED", "FREE", "PROVISIONED", "OVERCOMMIT", "FORECAST");
                for (JsonObject d : objects(o.getJsonArray("groups"))) {
                    g.row(str(d, "name"), Units.formatSize(num(d, "capacityBytes")), Units.formatSize(num(d, "usedBytes")),
                            Units.formatSize(num(d, "freeBytes")), Units.formatSize(num(d, "provisionedBytes")),
                            String.format(Locale.ROOT, "%.2f", d.getDouble("overcommitRatio")),
                            d.getJsonObject("forecast").getString("text"));
                }
                g.print(out(), "no disk groups");
                Table l = new Table("LUN", "SIZE", "ALLOCATED");
                for (JsonObject d : objects(o.getJsonArray("luns"))) {
                    l.row(str(d, "name"), Units.formatSize(num(d, "sizeBytes")),
                            d.getValue("allocatedBytes") == null ? "-" : Units.formatSize(num(d, "allocatedBytes")));
                }
                l.print(out(), "no LUNs");
                Table s = new Table("SNAPSHOT", "LUN", "PRIVATE");
                for (JsonObject d : objects(o.getJsonArray("snapshots"))) {
                    s.row(str(d, "name"), str(d, "lun"),
                            d.getValue("privateBytes") == null ? "-" : Units.formatSize(num(d, "privateBytes")));
                }
                s.print(out(), "no snapshots");
            });
        }
    }
}

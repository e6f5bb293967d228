package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;

/** {@code sanctl schedule list|show|create|delete}: snapshot schedules (kept in the appliance, survive restarts). */
@Command(name = "schedule", description = "Snapshot schedules: list, show, create, delete.",
        subcommands = {ScheduleCommands.ListSchedules.class, ScheduleCommands.Show.class, ScheduleCommands.Create.class,
                ScheduleCommands.Delete.class})
final class ScheduleCommands {
    private ScheduleCommands() {
    }

    static String path(String name) {
        return "/api/schedules/" + ApiClient.seg(name);
    }

    /** Prints one schedule answer as fields. */
    static void show(ApiCommand c, String header, ApiClient.Response r) {
        c.reply(null, r, x -> {
            JsonObject s = x.object();   // parsed before the header is printed
            if (header != null) {
                c.out().println(header);
            }
            c.fields("name", ApiCommand.str(s, "name"), "lun", ApiCommand.str(s, "lun"),
                    "every", Units.formatSeconds(ApiCommand.num(s, "intervalSeconds")),
                    "keep", ApiCommand.num(s, "keep"), "kind", SnapshotCommands.kind(s),
                    "next run", Units.formatTime(ApiCommand.num(s, "nextRunMillis")),
                    "last run", Units.formatTime(ApiCommand.num(s, "lastRunMillis")),
                    "last snapshot", ApiCommand.str(s, "lastSnapshot"), "last error", ApiCommand.str(s, "lastError"));
        });
    }

    @Command(name = "list", description = "All snapshot schedules with their next and last run.")
    static final class ListSchedules extends ApiCommand {
        @Override
        void run() {
            reply(null, api().get("/api/schedules"), r -> {
                Table t = new Table("NAME", "LUN", "EVERY>", "KEEP>", "KIND", "NEXT RUN", "LAST RUN", "LAST SNAPSHOT", "LAST ERROR");
                for (JsonObject s : objects(r.array())) {
                    t.row(str(s, "name"), str(s, "lun"), Units.formatSeconds(num(s, "intervalSeconds")), num(s, "keep"),
                            SnapshotCommands.kind(s), Units.formatTime(num(s, "nextRunMillis")), Units.formatTime(num(s, "lastRunMillis")),
                            str(s, "lastSnapshot"), str(s, "lastError"));
                }
                t.print(out(), "no snapshot schedules");
            });
        }
    }

    @Command(name = "show", description = "One snapshot schedule.")
    static final class Show extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Schedule name.")
        String name;

        @Override
        void run() {
            show(this, null, api().get(path(name)));
        }
    }

    @Command(name = "create", description = "Snapshot a LUN at a fixed interval, keeping the newest ones. Snapshots are named "
            + "<schedule>-<yyyyMMdd-HHmmss>.")
    static final class Create extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Schedule name.")
        String name;

        @Option(names = "--lun", required = true, paramLabel = "LUN", description = "LUN to snapshot.")
        String lun;

        @Option(names = "--every", required = true, paramLabel = "DURATION", converter = Converters.DurationArg.class,
                description = "Interval, 1m..365d, e.g. 15m, 1h, 1d (plain numbers are seconds).")
        Duration every;

        @Option(names = "--keep", required = true, paramLabel = "N", description = "Snapshots to keep, 1..256; older ones are deleted.")
        int keep;

        @Option(names = "--snapclone", description = "Take snapclones instead of snapshots.")
        boolean snapclone;

        @Override
        void run() {
            show(this, "created schedule " + name, api().post("/api/schedules", new JsonObject().put("name", name).put("lun", lun)
                    .put("intervalSeconds", every.toSeconds()).put("keep", keep).put("snapclone", snapclone)));
        }
    }

    @Command(name = "delete", description = "Delete a schedule (the snapshots it took stay).")
    static final class Delete extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Schedule name.")
        String name;

        @Override
        void run() {
            reply(api().delete(path(name)), "deleted schedule " + name);
        }
    }
}

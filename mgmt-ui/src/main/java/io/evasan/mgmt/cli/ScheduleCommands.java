package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;

/** {@code sanctl schedule list|show|create|update|delete}: snapshot schedules (kept in the appliance, survive restarts). */
@Command(name = "schedule", description = "Snapshot schedules: list, show, create, update, delete.",
        subcommands = {ScheduleCommands.ListSchedules.class, ScheduleCommands.Show.class, ScheduleCommands.Create.class,
                ScheduleCommands.Update.class, ScheduleCommands.Delete.class})
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
                    "every", Units.formatSeconds(ApiCommand.num(s, "intervalSeconds"))
                            + (s.getString("at") == null ? "" : " at " + s.getString("at") + " UTC"),
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
                    t.row(str(s, "name"), str(s, "lun"), Units.formatSeconds(num(s, "intervalSeconds"))
                            + (s.getString("at") == null ? "" : " at " + s.getString("at")), num(s, "keep"),
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

        @Option(names = "--at", paramLabel = "HH:MM", description = "Time of day (UTC) the runs fall on: that time plus whole "
                + "intervals (--every 1d --at 02:00: daily at 02:00; --every 1h --at 00:15: hourly at :15).")
        String at;

        @Override
        void run() {
            show(this, "created schedule " + name, api().post("/api/schedules", new JsonObject().put("name", name).put("lun", lun)
                    .put("intervalSeconds", every.toSeconds()).put("keep", keep).put("snapclone", snapclone).put("at", at)));
        }
    }

    @Command(name = "update", description = "Change a schedule's interval, count kept, kind or time of day; what is not given stays.")
    static final class Update extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Schedule name.")
        String name;

        @Option(names = "--every", paramLabel = "DURATION", converter = Converters.DurationArg.class,
                description = "New interval, 1m..365d.")
        Duration every;

        @Option(names = "--keep", paramLabel = "N", description = "Snapshots to keep, 1..256 (a smaller count deletes the surplus at the next run).")
        Integer keep;

        @Option(names = "--snapclone", paramLabel = "true|false", arity = "1", description = "Take snapclones (true) or snapshots (false).")
        Boolean snapclone;

        @Option(names = "--at", paramLabel = "HH:MM", description = "New time of day (UTC).")
        String at;

        @Option(names = "--no-at", description = "Remove the time of day: every interval from the last run.")
        boolean noAt;

        @Override
        void run() {
            JsonObject b = new JsonObject();
            if (every != null) {
                b.put("intervalSeconds", every.toSeconds());
            }
            if (keep != null) {
                b.put("keep", keep);
            }
            if (snapclone != null) {
                b.put("snapclone", snapclone);
            }
            if (at != null && noAt) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--at and --no-at exclude each other");
            }
            if (at != null) {
                b.put("at", at);
            } else if (noAt) {
                b.putNull("at");
            }
            if (b.isEmpty()) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "nothing to change: give --every, --keep, --snapclone, --at or --no-at");
            }
            show(this, "updated schedule " + name, api().patch(path(name), b));
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

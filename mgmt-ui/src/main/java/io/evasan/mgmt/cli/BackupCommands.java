package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code sanctl backup ...}: the backup-LUN engine (a consistent snapshot of one LUN plus a log LUN that
 * records later writes, then a LOP copy to a destination).
 */
@Command(name = "backup", description = "Backup-LUN sessions: show, define-log, remove-log, initiate, terminate, copy.",
        subcommands = {BackupCommands.Show.class, BackupCommands.DefineLog.class, BackupCommands.RemoveLog.class,
                BackupCommands.Initiate.class, BackupCommands.Terminate.class, BackupCommands.Copy.class})
final class BackupCommands {
    private static final String[] KNOWN = {"state", "primary", "snapshotDisk", "logLun", "logUsedSegments",
            "logCapacitySegments", "lastCopiedSegments"};

    private BackupCommands() {
    }

    /** Prints a backup-state answer as fields (the known ones first, then any others the appliance adds). */
    static void show(ApiCommand c, String header, ApiClient.Response r) {
        c.reply(header, r, x -> {
            if (!x.body().isBlank()) {
                fields(c, x.object());
            }
        });
    }

    private static void fields(ApiCommand c, JsonObject b) {
        List<Object> kv = new ArrayList<>();
        for (String k : KNOWN) {
            kv.add(k);
            kv.add(ApiCommand.flat(k, b.getValue(k)));
        }
        for (String k : b.fieldNames()) {
            if (!List.of(KNOWN).contains(k)) {
                kv.add(k);
                kv.add(ApiCommand.flat(k, b.getValue(k)));
            }
        }
        c.fields(kv.toArray());
    }

    @Command(name = "show", description = "The backup engine's state: primary LUN, log LUN and its use, last copy.")
    static final class Show extends ApiCommand {
        @Override
        void run() {
            show(this, null, api().get("/api/backup"));
        }
    }

    @Command(name = "define-log", description = "Define the log LUN that records writes during a backup.")
    static final class DefineLog extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Name of the new log LUN.")
        String name;

        @Option(names = {"-c", "--capacity"}, required = true, paramLabel = "SIZE", converter = Converters.SizeArg.class,
                description = "Log LUN capacity, e.g. 1G.")
        long capacity;

        @Override
        void run() {
            show(this, "defined log LUN " + name, api().put("/api/backup/log",
                    new JsonObject().put("name", name).put("capacityBytes", capacity)));
        }
    }

    @Command(name = "remove-log", description = "Remove the log LUN (no backup may be active; --force when hosts see it).")
    static final class RemoveLog extends ApiCommand {
        @Option(names = "--force", description = "Remove it even though hosts see it.")
        boolean force;

        @Override
        void run() {
            reply(api().delete("/api/backup/log" + ApiCommand.forced(force)), "removed the log LUN");
        }
    }

    @Command(name = "initiate", description = "Start a backup of a LUN: a snapshot through the cache marker, writes then go to the log.")
    static final class Initiate extends ApiCommand {
        @Parameters(index = "0", paramLabel = "LUN", description = "LUN to back up.")
        String lun;

        @Override
        void run() {
            show(this, "backup of LUN " + lun + " initiated", api().post("/api/backup/initiate", new JsonObject().put("lun", lun)));
        }
    }

    @Command(name = "terminate", description = "End the active backup.")
    static final class Terminate extends ApiCommand {
        @Override
        void run() {
            show(this, "backup terminated", api().post("/api/backup/terminate", null));
        }
    }

    @Command(name = "copy", description = "Start the LOP copy of the backup to a destination LUN (progress: sanctl job show lopcopy).")
    static final class Copy extends ApiCommand {
        @Parameters(index = "0", paramLabel = "DESTINATION", description = "Destination LUN.")
        String destination;

        @Option(names = "--incremental", description = "Copy only what changed since the last copy.")
        boolean incremental;

        @Option(names = "--force", description = "Overwrite the destination even though it holds data, has snapshots or hosts see it.")
        boolean force;

        @Override
        void run() {
            show(this, "LOP copy to " + destination + " started; progress: sanctl job show lopcopy",
                    api().post("/api/backup/copy" + ApiCommand.forced(force), new JsonObject().put("destination", destination).put("incremental", incremental)));
        }
    }
}

package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;

/**
 * {@code sanctl group create}: POST /api/pool/groups (a disk group of new sparse drive files); {@code sanctl group
 * level}: POST /api/pool/groups/{group}/level (progress: {@code sanctl job show leveling-<group>}).
 */
@Command(name = "group", description = "Disk groups: create one at run time, level one (list them with: sanctl pool show).",
        subcommands = {GroupCommands.Create.class, GroupCommands.Level.class})
final class GroupCommands {
    private GroupCommands() {
    }

    @Command(name = "level", description = "Level a disk group: move PSEGs until every drive's used share is proportional to its "
            + "capacity (a drive add starts it by itself). Progress: sanctl job show leveling-<group>.")
    static final class Level extends ApiCommand {
        @Parameters(index = "0", paramLabel = "GROUP", description = "Disk group id.")
        int group;

        @Override
        void run() {
            reply(null, api().post("/api/pool/groups/" + group + "/level", null), r -> {
                JsonObject j = r.object();
                out().println("leveling disk group " + str(j, "target") + " (job " + str(j, "id") + "): " + str(j, "state")
                        + ", " + num(j, "moves") + " of " + num(j, "movesPlanned") + " moves");
            });
        }
    }

    @Command(name = "create", description = "Create a disk group of 6..12 new drives (sparse files under the pool directory).")
    static final class Create extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Group name (at most 32 characters).")
        String name;

        @Option(names = {"-n", "--drives"}, required = true, paramLabel = "N", description = "Number of drives, 6..12.")
        int drives;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Sizes sizes;

        static final class Sizes {
            @Option(names = {"-s", "--size"}, paramLabel = "SIZE", converter = Converters.SizeArg.class,
                    description = "Size of every drive, 64M..64T in whole MiB, e.g. 1G.")
            Long size;

            @Option(names = "--sizes", paramLabel = "SIZE", split = ",", converter = Converters.SizeArg.class,
                    description = "One size per drive, comma separated (exactly N), e.g. 1G,1G,1G,2G,2G,2G.")
            List<Long> each;
        }

        @Override
        void run() {
            JsonObject body = new JsonObject().put("name", name).put("drives", drives)
                    .put("driveSizeBytes", sizes.size != null ? sizes.size : new JsonArray(List.copyOf(sizes.each)));
            reply(null, api().post("/api/pool/groups", body), r -> {
                JsonObject g = r.object();
                long pseg = num(g, "psegBytes");
                out().println("created disk group " + num(g, "id") + " " + str(g, "name") + ": " + g.getJsonArray("drives").size()
                        + " drives, " + Units.formatSize(num(g, "totalPsegs") * pseg) + " raw");
                out().println();
                DriveCommands.driveTable(List.of(g), null).print(out(), "no drives");
            });
        }
    }
}

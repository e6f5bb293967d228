package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code sanctl health}: the array's overall state, then one row per object that is not OK (every object with
 * {@code --all}); a LUN or snapshot with lost data lists its lost block ranges. {@code --json}: the
 * GET /api/health body verbatim.
 */
@Command(name = "health", description = "Health of drives, RSSs, disk groups, LUNs, snapshots, controllers, ports: what is not OK and why.")
final class HealthCommands extends ApiCommand {
    /** Lost ranges printed per object in text form (the rest are counted). */
    static final int SHOWN_RANGES = 8;

    @Option(names = "--all", description = "List every object, OK ones too.")
    boolean all;

    @Option(names = "--kind", paramLabel = "KIND", description = "Only objects of this kind (drive, rss, disk-group, lun, snapshot, controller, cache, port, session); repeatable.")
    List<String> kinds = new ArrayList<>();

    @Override
    void run() {
        StringBuilder q = new StringBuilder();
        for (String k : kinds) {
            q.append(q.length() == 0 ? "?" : "&").append("kind=").append(java.net.URLEncoder.encode(k, java.nio.charset.StandardCharsets.UTF_8));
        }
        reply(null, api().get("/api/health" + q), r -> {
            JsonObject h = r.object();
            JsonObject c = h.getJsonObject("counts");
            out().println("health: " + h.getString("state") + " (" + num(c, "ok") + " ok, " + num(c, "degraded")
                    + " degraded, " + num(c, "failed") + " failed)");
            Table t = new Table("KIND", "NAME", "STATE", "REASON");
            List<JsonObject> lost = new ArrayList<>();
            for (JsonObject o : objects(h.getJsonArray("objects"))) {
                if (all || !"OK".equals(o.getString("state"))) {
                    t.row(str(o, "kind"), str(o, "name"), str(o, "state"), str(o, "reason"));
                }
                if (o.getJsonArray("lostRanges") != null) {
                    lost.add(o);
                }
            }
            t.print(out(), "every object is OK");
            for (JsonObject o : lost) {
                out().println(str(o, "kind") + " " + str(o, "name") + ": " + num(o, "lostBlocks") + " blocks lost in "
                        + num(o, "lostRangeCount") + " range(s): " + ranges(o.getJsonArray("lostRanges"), num(o, "lostRangeCount")));
            }
        });
    }

    /** "LBA a-b, LBA c-d, ... (+n more)". */
    static String ranges(JsonArray a, long total) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < a.size() && i < SHOWN_RANGES; i++) {
            JsonObject r = a.getJsonObject(i);
            long first = r.getLong("firstLba");
            l.add("LBA " + first + "-" + (first + r.getLong("blocks") - 1));
        }
        return String.join(", ", l) + (total > l.size() ? " (+" + (total - l.size()) + " more)" : "");
    }
}

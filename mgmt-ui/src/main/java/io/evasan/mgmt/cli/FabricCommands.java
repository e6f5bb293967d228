package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;

/**
 * The FC fabric's commands: {@code sanctl fabric} (the switch and its ports: N_Port IDs, WWPNs, login state, FC-4
 * role, which controller serves each of the cell's target ports, zones) and {@code sanctl zone list|create|delete|sets|
 * set-create|set-delete|activate|deactivate} (zoning by WWPN; a zone set is enforced once activated).
 */
final class FabricCommands {
    private FabricCommands() {
    }

    @Command(name = "fabric", description = "The Fibre Channel fabric: switch, ports, N_Port IDs, WWPNs, logins, roles, zoning.")
    static final class Fabric extends ApiCommand {
        @Override
        void run() {
            reply(null, api().get("/api/fabric"), r -> {
                JsonObject f = r.object();
                fields("switch", "domain " + num(f, "domain") + ", WWN " + str(f, "switchWwn") + ", hosts connect to "
                                + str(f, "listen"),
                        "zoning", f.getValue("activeZoneSet") == null
                                ? "no zone set active: default zone " + str(f, "defaultZone")
                                : "zone set " + str(f, "activeZoneSet") + " active (enforced on every frame)");
                Table t = new Table("PORT>", "N_PORT ID", "WWPN", "STATE", "ROLE", "KIND", "SERVED BY", "REL PORT>", "ZONES",
                        "SEES");
                for (JsonObject p : objects(f.getJsonArray("ports"))) {
                    String kind = str(p, "kind");
                    boolean cell = "cell".equals(kind);
                    String servedBy = !cell ? null : str(p, "servedBy").isEmpty() ? "(down)"
                            : str(p, "servedBy").equals(str(p, "home")) ? "NSC " + str(p, "servedBy")
                            : "NSC " + str(p, "servedBy") + " (for " + str(p, "home") + ")";
                    t.row(num(p, "index"), str(p, "nPortId"), str(p, "wwpn"),
                            p.getBoolean("loggedIn", false) ? "logged in" : p.getBoolean("linkUp", false) ? "link up" : "link down",
                            str(p, "role"), cell ? "cell" : "host", servedBy, cell ? String.valueOf(num(p, "relativeTargetPort")) : null,
                            joined(p.getJsonArray("zonedWith")), cell ? null : sees(p));
                }
                t.print(out(), "no switch ports");
            });
        }
    }

    /** A host port's LUNs ("name@hostLun") and its number of paths to the cell. */
    static String sees(JsonObject p) {
        if (p.getJsonArray("paths") == null) {
            return null;
        }
        List<String> luns = new java.util.ArrayList<>();
        for (JsonObject l : ApiCommand.objects(p.getJsonArray("luns"))) {
            luns.add(ApiCommand.str(l, "lun") + "@" + ApiCommand.num(l, "hostLun"));
        }
        return (luns.isEmpty() ? "no LUN" : String.join(", ", luns)) + " via " + p.getJsonArray("paths").size() + " paths";
    }

    @Command(name = "zone", description = "FC zoning: zones of WWPNs, zone sets, the active zone set.",
            subcommands = {ListZones.class, CreateZone.class, DeleteZone.class, ListSets.class, CreateSet.class,
                    DeleteSet.class, Activate.class, Deactivate.class})
    static final class Zone {
    }

    @Command(name = "list", description = "Every zone: members and the zone sets holding it.")
    static final class ListZones extends ApiCommand {
        @Override
        void run() {
            reply(null, api().get("/api/fabric/zones"), r -> {
                Table t = new Table("ZONE", "MEMBERS", "ZONE SETS");
                for (JsonObject z : objects(r.array())) {
                    t.row(str(z, "name"), joined(z.getJsonArray("members")), joined(z.getJsonArray("zoneSets")));
                }
                t.print(out(), "no zones");
            });
        }
    }

    @Command(name = "create", description = "Create a zone of member WWPNs (xx:xx:xx:xx:xx:xx:xx:xx).")
    static final class CreateZone extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Zone name.")
        String name;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "WWPN", description = "Member WWPNs.")
        List<String> members;

        @Override
        void run() {
            reply(api().post("/api/fabric/zones", new JsonObject().put("name", name).put("members", new JsonArray(members))),
                    "created zone " + name + " (" + members.size() + " members)");
        }
    }

    @Command(name = "delete", description = "Delete a zone (not while a zone set holds it).")
    static final class DeleteZone extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Zone name.")
        String name;

        @Override
        void run() {
            reply(api().delete("/api/fabric/zones/" + ApiClient.seg(name)), "deleted zone " + name);
        }
    }

    @Command(name = "sets", description = "Every zone set, its zones, and which one is active.")
    static final class ListSets extends ApiCommand {
        @Override
        void run() {
            reply(null, api().get("/api/fabric/zonesets"), r -> {
                Table t = new Table("ZONE SET", "ZONES", "ACTIVE");
                for (JsonObject z : objects(r.array())) {
                    t.row(str(z, "name"), joined(z.getJsonArray("zones")), z.getBoolean("active", false) ? "yes" : "no");
                }
                t.print(out(), "no zone sets");
            });
        }
    }

    @Command(name = "set-create", description = "Create a zone set of existing zones.")
    static final class CreateSet extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Zone set name.")
        String name;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "ZONE", description = "Zones.")
        List<String> zones;

        @Override
        void run() {
            reply(api().post("/api/fabric/zonesets", new JsonObject().put("name", name).put("zones", new JsonArray(zones))),
                    "created zone set " + name);
        }
    }

    @Command(name = "set-delete", description = "Delete a zone set (not while active).")
    static final class DeleteSet extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Zone set name.")
        String name;

        @Override
        void run() {
            reply(api().delete("/api/fabric/zonesets/" + ApiClient.seg(name)), "deleted zone set " + name);
        }
    }

    @Command(name = "activate", description = "Activate a zone set: the switch enforces it on every frame from now on.")
    static final class Activate extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Zone set name.")
        String name;

        @Override
        void run() {
            reply(api().post("/api/fabric/zonesets/" + ApiClient.seg(name) + "/activate", new JsonObject()),
                    "zone set " + name + " is active");
        }
    }

    @Command(name = "deactivate", description = "No zone set active: the default zone holds again.")
    static final class Deactivate extends ApiCommand {
        @Override
        void run() {
            ApiClient.Response r = api().post("/api/fabric/deactivate", new JsonObject());
            reply(r, "no zone set active: default zone " + str(r.object(), "defaultZone"));
        }
    }
}

package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;

/** {@code sanctl host list}: initiators and the LUNs presented to them. */
@Command(name = "host", description = "Hosts (initiators) and the LUNs presented to them.",
        subcommands = {HostCommands.ListHosts.class, HostRegistryCommands.Registered.class, HostRegistryCommands.Create.class,
                HostRegistryCommands.Show.class, HostRegistryCommands.Update.class, HostRegistryCommands.Delete.class})
final class HostCommands {
    private HostCommands() {
    }

    @Command(name = "list", description = "One line per initiator and host LUN number.")
    static final class ListHosts extends ApiCommand {
        @Override
        void run() {
            ApiClient.Response r = api().get("/api/hosts");
            io.vertx.core.json.JsonArray initiators = new io.vertx.core.json.JsonArray();   // registered hosts' first
            objects(r.object().getJsonArray("hosts")).forEach(h -> initiators.addAll(h.getJsonArray("initiators")));
            initiators.addAll(r.object().getJsonArray("unregistered"));
            if (json()) {   // the per-initiator view [{initiator, luns}] (sanctl host registered --json: the whole body)
                raw(initiators.encodePrettily());
                return;
            }
            Table t = new Table("INITIATOR", "HOST LUN>", "LUN");
            for (JsonObject h : objects(initiators)) {
                for (JsonObject l : objects(h.getJsonArray("luns"))) {
                    t.row("*".equals(str(h, "initiator")) ? "* (all initiators)" : str(h, "initiator"), num(l, "hostLun"), str(l, "lun"));
                }
            }
            t.print(out(), "no LUN is presented to any host");
        }
    }
}

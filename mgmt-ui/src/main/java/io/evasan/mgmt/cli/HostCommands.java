package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;

/** {@code sanctl host list}: initiators and the LUNs presented to them. */
@Command(name = "host", description = "Hosts (initiators) and the LUNs presented to them.",
        subcommands = {HostCommands.ListHosts.class})
final class HostCommands {
    private HostCommands() {
    }

    @Command(name = "list", description = "One line per initiator and host LUN number.")
    static final class ListHosts extends ApiCommand {
        @Override
        void run() {
            ApiClient.Response r = api().get("/api/hosts");
            if (json()) {
                raw(r);
                return;
            }
            Table t = new Table("INITIATOR", "HOST LUN>", "LUN");
            for (JsonObject h : objects(r.array())) {
                for (JsonObject l : objects(h.getJsonArray("luns"))) {
                    t.row("*".equals(str(h, "initiator")) ? "* (all initiators)" : str(h, "initiator"), num(l, "hostLun"), str(l, "lun"));
                }
            }
            t.print(out(), "no LUN is presented to any host");
        }
    }
}

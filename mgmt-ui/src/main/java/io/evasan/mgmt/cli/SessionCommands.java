package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sanctl sessions}: the live iSCSI sessions, one row each (initiator, controller and portal, the initiator's
 * address, login time, authentication, digests, health), then the newest refused logins — targetcli's
 * {@code sessions detail}. {@code --json}: the GET /api/iscsi/sessions body verbatim.
 */
@Command(name = "sessions", description = "Live iSCSI sessions (initiator, portal, login time, CHAP, digests) and recent refused logins.")
final class SessionCommands extends ApiCommand {
    @Option(names = "--initiator", paramLabel = "IQN", description = "Only this initiator's sessions and refused logins.")
    String initiator;

    @Override
    void run() {
        String q = initiator == null ? "" : "?initiator=" + java.net.URLEncoder.encode(initiator, java.nio.charset.StandardCharsets.UTF_8);
        reply(null, api().get("/api/iscsi/sessions" + q), r -> {
            JsonObject b = r.object();
            Table t = new Table("INITIATOR", "ISID", "NSC", "PORTAL", "FROM", "LOGIN", "AUTH", "DIGESTS", "HEALTH");
            for (JsonObject s : objects(b.getJsonArray("sessions"))) {
                JsonObject h = s.getJsonObject("health");
                t.row(str(s, "initiator"), str(s, "isid"), str(s, "controller"), str(s, "portal"), str(s, "address"),
                        str(s, "loginTime"), str(s, "authentication"),
                        "header " + str(s, "headerDigest") + ", data " + str(s, "dataDigest"),
                        h == null ? "" : str(h, "state") + (str(h, "reason").isEmpty() ? "" : ": " + str(h, "reason")));
            }
            t.print(out(), "no iSCSI session is logged in");
            Table f = new Table("TIME", "INITIATOR", "REFUSED LOGIN");
            for (JsonObject e : objects(b.getJsonArray("failedLogins"))) {
                f.row(str(e, "time"), str(e, "initiator"), str(e, "message"));
            }
            f.print(out(), "no refused login");
        });
    }
}

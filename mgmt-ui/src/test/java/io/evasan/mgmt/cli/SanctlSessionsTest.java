package io.evasan.mgmt.cli;

import io.evasan.mgmt.IscsiSessions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sanctl sessions}: a row per live iSCSI session, the refused logins, the filter, {@code --json}. */
class SanctlSessionsTest {
    @Test
    void shouldPrintTheSessionsAndTheRefusedLogins() throws Exception {
        List<IscsiSessions.Session> live = new CopyOnWriteArrayList<>();
        try (CliFixture f = new CliFixture(c -> c.iscsiSessions(() -> List.copyOf(live)))) {
            CliFixture.Run empty = f.sanctl("sessions");
            assertEquals(0, empty.exit(), empty::toString);
            assertTrue(empty.out().contains("no iSCSI session is logged in"), empty::toString);
            live.add(new IscsiSessions.Session("B", 3, "iqn.2026-12.test:db1", "400001370000", 5, "iqn.2026-01.io.evasan:cell",
                    "127.0.0.1:3262", "127.0.0.1:51000", 0, true, true, false, true, 0));
            CliFixture.Run r = f.sanctl("sessions", "--initiator", "iqn.2026-12.test:db1");
            assertEquals(0, r.exit(), r::toString);
            String row = r.out().lines().filter(l -> l.startsWith("iqn.2026-12.test:db1")).findFirst().orElse("");
            assertTrue(row.matches(".*400001370000 +B +127\\.0\\.0\\.1:3262 +127\\.0\\.0\\.1:51000 +1970-01-01T00:00:00Z +mutual CHAP"
                    + " +header None, data CRC32C +OK.*"), r::toString);
            assertTrue(r.out().contains("no refused login"), r::toString);
            CliFixture.Run json = f.sanctl("--json", "sessions");
            assertEquals(0, json.exit(), json::toString);
            assertEquals("mutual CHAP", new JsonObject(json.out()).getJsonArray("sessions").getJsonObject(0)
                    .getString("authentication"));
        }
    }
}

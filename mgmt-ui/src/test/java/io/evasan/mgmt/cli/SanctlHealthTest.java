package io.evasan.mgmt.cli;

import io.evasan.raid.rsd.Rsd;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.evasan.mgmt.cli.SanctlCommandsTest.ok;
import static io.evasan.mgmt.cli.SanctlCommandsTest.refused;
import static io.evasan.mgmt.cli.SanctlCommandsTest.usage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sanctl health [--all] [--kind K] [--json]}: the overall state, the objects that are not OK, lost LBA ranges;
 * {@code sanctl events --since D [--object O] [--severity S]}: the stored event log, with who made each change.
 */
class SanctlHealthTest {
    static CliFixture f;

    @BeforeAll
    static void up() throws Exception {
        f = new CliFixture(false);
    }

    @AfterAll
    static void down() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void shouldListWhatIsNotOkWithTheLostRangesAndTheJsonBody() {
        ok(f.sanctl("lun", "create", "m1", "--size", "8M", "--raid", "RAID1"));
        String healthy = ok(f.sanctl("health"));
        assertTrue(healthy.startsWith("health: OK (") && healthy.contains("every object is OK"), healthy);
        assertTrue(ok(f.sanctl("health", "--all", "--kind", "lun")).contains("m1"));
        refused(f.sanctl("health", "--kind", "spindle"), 400, "kind");

        int id = f.controller.lun("m1").id();
        f.controller.writeCache().write(0, id, 0, ByteBuffer.wrap(new byte[1 << 20]), false);
        f.controller.writeCache().synchronize(id, 0, 0);
        Rsd r = f.pool.diskGroups().get(0).rsd(f.trees.rstoreIds(f.controller.lun("m1").disk()).first());
        ok(f.sanctl("drive", "fail", "--group", "0", Integer.toString(r.drive(0))));
        ok(f.sanctl("drive", "fail", "--group", "0", Integer.toString(r.drive(1))));
        String text = ok(f.sanctl("health"));
        assertTrue(text.startsWith("health: FAILED"), text);
        assertTrue(text.matches("(?s).*lun +m1 +FAILED +data lost.*"), text);
        assertTrue(text.matches("(?s).*lun m1: \\d+ blocks lost in \\d+ range\\(s\\): LBA \\d+-\\d+.*"), text);
        JsonObject json = new JsonObject(ok(f.sanctl("--json", "health")));
        assertEquals("FAILED", json.getString("state"));
    }

    @Test
    void shouldListTheStoredEventLogSinceADurationWithWhoMadeEachChange() {
        ok(f.sanctl("lun", "create", "audited", "--size", "4M"));
        String text = ok(f.sanctl("events", "--since", "1h"));
        assertTrue(text.matches("(?s).*\\d{4}-\\d\\d-\\d\\dT[^ ]+Z INFO audit \\[luns\\]: POST /api/luns -> 201 "
                + "\\(by token [0-9a-f]{8} from 127\\.0\\.0\\.1\\)\n.*"), text);
        String json = ok(f.sanctl("--json", "events", "--since", "1h", "--object", "luns", "--severity", "info"));
        for (String line : json.split("\n")) {
            assertEquals("luns", new JsonObject(line).getString("object"));
        }
        refused(f.sanctl("events", "--since", "1h", "--severity", "loud"), 400, "severity");
        refused(f.sanctl("events", "--since", "yesterday"), 400, "since");
        usage(f.sanctl("events", "--object", "luns"), "--since");
    }

    @Test
    void shouldSetAndShowTheAlertRulesAndWebhooks() {
        assertTrue(ok(f.sanctl("alerts")).matches("(?s)rules: +none\nwebhooks: +none\n.*"));
        refused(f.sanctl("alerts", "set", "--rule", "LOUD"), 400, "rules");
        refused(f.sanctl("alerts", "set", "--webhook", "ftp://x/y"), 400, "webhooks");
        String set = ok(f.sanctl("alerts", "set", "--rule", "DATA_LOST", "--rule", "CAPACITY_90", "--webhook", "http://127.0.0.1:9/h"));
        assertTrue(set.matches("(?s)rules: +CAPACITY_90, DATA_LOST\nwebhooks: +http://127.0.0.1:9/h\n.*"), set);
        assertEquals("http://127.0.0.1:9/h", new JsonObject(ok(f.sanctl("--json", "alerts", "show")))
                .getJsonArray("webhooks").getString(0));
        ok(f.sanctl("alerts", "set"));
        assertTrue(ok(f.sanctl("alerts", "show")).startsWith("rules:"));
    }
}

package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static io.evasan.mgmt.cli.SanctlCommandsTest.ok;
import static io.evasan.mgmt.cli.SanctlCommandsTest.okObject;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 item 4 from the command line: {@code lun delete} and a shrinking {@code lun resize} of a LUN hosts see
 * (or with snapshots) are refused (exit 1, the LUN, its presentations and snapshots named, a hint to add
 * {@code --force}) and change nothing; with {@code --force} they work; with {@code --json} the refusal is JSON.
 */
class SanctlGuardTest extends CliTest {
    static final String INI = "iqn.2026-11.cli.guard:h1";

    private static String lun(String name) {
        return new JsonObject(ok(f.sanctl("--json", "lun", "show", name))).encode();
    }

    @Test
    void shouldRefuseDeletingAndShrinkingAPresentedLunWithoutForce() {
        ok(f.sanctl("lun", "create", "cg1", "--size", "10G"));
        ok(f.sanctl("lun", "present", "cg1", "-i", INI, "-l", "2"));
        ok(f.sanctl("snapshot", "create", "cg1", "cg1-s"));
        String before = lun("cg1");

        CliFixture.Run r = f.sanctl("lun", "delete", "cg1");
        assertEquals(1, r.exit(), r::toString);
        assertEquals("", r.out(), r::toString);
        assertTrue(r.err().startsWith("sanctl: 409 deleting LUN cg1 is refused: it is presented to " + INI + " as host LUN 2"), r::toString);
        assertTrue(r.err().contains("snapshot cg1-s") && r.err().contains("(field force)"), r::toString);
        assertTrue(r.err().contains("sanctl: add --force to do it anyway"), r::toString);

        r = f.sanctl("lun", "resize", "cg1", "--size", "1G");
        assertEquals(1, r.exit(), r::toString);
        assertTrue(r.err().contains("shrinking LUN cg1 from 10 GiB to 1 GiB is refused"), "sizes in the units typed: " + r);
        assertEquals(before, lun("cg1"), "the refusals changed nothing");

        assertTrue(ok(f.sanctl("lun", "resize", "cg1", "--size", "2G", "--force")).contains("resized LUN cg1"));
        assertEquals(2L << 30, new JsonObject(ok(f.sanctl("--json", "lun", "show", "cg1"))).getLong("sizeBytes"));
        assertTrue(ok(f.sanctl("lun", "delete", "cg1", "--force")).contains("deleted LUN cg1"));
        assertEquals(1, f.sanctl("lun", "show", "cg1").exit());
    }

    @Test
    void shouldPrintErrorsAsJsonWithJson() {
        ok(f.sanctl("lun", "create", "cg2", "--size", "8M"));
        ok(f.sanctl("lun", "present", "cg2", "-i", "*", "-l", "9"));
        CliFixture.Run r = f.sanctl("--json", "lun", "delete", "cg2");
        assertEquals(1, r.exit(), r::toString);
        assertEquals("", r.out(), r::toString);
        JsonObject e = new JsonObject(r.err());
        assertEquals(409, e.getInteger("status"));
        assertEquals("force", e.getString("field"));
        assertEquals("INVALID_STATE", e.getString("code"));
        assertEquals("cg2", e.getString("lun"));
        assertEquals("*", e.getJsonArray("presentations").getJsonObject(0).getString("initiator"));

        r = f.sanctl("--json", "lun", "present", "cg2", "-i", "not-an-iqn", "-l", "3");
        e = new JsonObject(r.err());
        assertEquals(400, e.getInteger("status"));
        assertEquals("initiator", e.getString("field"));
        assertTrue(e.getString("error").contains("'not-an-iqn'"), r::toString);

        r = f.sanctl("--json", "lun", "create", "cg3", "--size", "lots");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(new JsonObject(r.err()).getBoolean("usage"), r::toString);

        assertTrue(okObject(f.sanctl("--json", "lun", "show", "cg2")).getJsonArray("presentations").size() == 1);
        ok(f.sanctl("lun", "delete", "cg2", "--force"));
    }
}

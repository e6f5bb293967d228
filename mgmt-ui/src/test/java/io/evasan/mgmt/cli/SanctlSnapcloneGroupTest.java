package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static io.evasan.mgmt.cli.SanctlCommandsTest.ok;
import static io.evasan.mgmt.cli.SanctlCommandsTest.okObject;
import static io.evasan.mgmt.cli.SanctlCommandsTest.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sanctl snapshot create LUN NAME --snapclone --group G}: the clone in disk group G. */
class SanctlSnapcloneGroupTest extends CliTest {
    @Test
    void shouldTakeASnapcloneInAnotherDiskGroup() {
        ok(f.sanctl("group", "create", "mv1", "--drives", "6", "--size", "64M"));
        ok(f.sanctl("lun", "create", "m1", "--size", "4M"));
        JsonObject byName = okObject(f.sanctl("snapshot", "create", "m1", "m1c", "--snapclone", "--group", "mv1", "--json"));
        assertEquals(1, byName.getInteger("group"), byName::encode);
        ok(f.sanctl("lun", "create", "m2", "--size", "4M"));
        String out = ok(f.sanctl("snapshot", "create", "m2", "m2c", "--snapclone", "-g", "1"));
        assertTrue(out.startsWith("took snapclone m2c of LUN m2 (disk "), out);
        assertTrue(out.contains("disk group 1"), out);
        refused(f.sanctl("snapshot", "create", "m2", "m2s", "--group", "1"), 400, "group");
        refused(f.sanctl("snapshot", "create", "m2", "m2x", "--snapclone", "--group", "nosuch"), 404, "group");
    }
}

package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static io.evasan.mgmt.cli.SanctlCommandsTest.ok;
import static io.evasan.mgmt.cli.SanctlCommandsTest.okObject;
import static io.evasan.mgmt.cli.SanctlCommandsTest.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sanctl lun create --group}: by name or id, shown by {@code lun show}; an unknown group is a 404 naming {@code group}. */
class SanctlLunGroupCommandTest extends CliTest {
    @Test
    void shouldCreateALunInAChosenGroup() {
        JsonObject g = okObject(f.sanctl("group", "create", "lg1", "--drives", "6", "--size", "64M", "--json"));
        int id = g.getInteger("id");
        String out = ok(f.sanctl("lun", "create", "gl1", "--size", "4M", "--group", "lg1"));
        assertTrue(out.contains("group:         " + id + "\n"), out);
        assertEquals(id, f.trees.diskGroup(f.controller.lun("gl1").disk()));
        JsonObject byId = okObject(f.sanctl("lun", "create", "gl2", "--size", "4M", "--group", String.valueOf(id), "--json"));
        assertEquals(id, byId.getInteger("group"));
        assertTrue(ok(f.sanctl("lun", "show", "gl2")).contains("group:         " + id + "\n"));
        refused(f.sanctl("lun", "create", "gl3", "--size", "4M", "--group", "nosuch"), 404, "group");
        refused(f.sanctl("lun", "create", "gl3", "--size", "4M", "--group", "77"), 404, "group");
    }
}

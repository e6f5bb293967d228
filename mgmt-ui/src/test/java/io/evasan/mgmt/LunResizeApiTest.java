package io.evasan.mgmt;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** PATCH /api/luns/{name}: grow, shrink, data below the end, bad input naming the field, 401, 409. */
class LunResizeApiTest extends ApplianceTest {
    @Test
    void shouldGrowAndShrinkALunKeepingTheDataBelowTheNewEnd() {
        ok(f.call("POST", "/api/luns", "{\"name\":\"rs\",\"sizeBytes\":4194304}"), 201);
        int id = f.controller.lun("rs").id();
        byte[] low = new byte[64 * 1024];
        Arrays.fill(low, (byte) 'L');
        byte[] high = new byte[64 * 1024];
        Arrays.fill(high, (byte) 'H');
        f.controller.cache().write(0, id, 1L << 20, ByteBuffer.wrap(low), false);
        f.controller.cache().write(0, id, 3L << 20, ByteBuffer.wrap(high), false);

        JsonObject g = obj(ok(f.call("PATCH", "/api/luns/rs", "{\"sizeBytes\":8388608}"), 200));
        assertEquals(8L << 20, g.getLong("sizeBytes"));
        assertEquals(8L << 20, obj(ok(f.call("GET", "/api/luns/rs", null), 200)).getLong("sizeBytes"));
        assertEquals(8L << 20, f.controller.logicalUnit("rs").blockCount() * 512, "SCSI capacity follows");
        byte[] got = new byte[64 * 1024];
        f.controller.read("rs", 3L << 20, got);
        assertArrayEquals(high, got);
        f.controller.read("rs", 7L << 20, got);
        assertArrayEquals(new byte[got.length], got, "grown space reads zeros");

        JsonObject s = obj(ok(f.call("PATCH", "/api/luns/rs", "{\"sizeBytes\":2097152}"), 200));
        assertEquals(2L << 20, s.getLong("sizeBytes"));
        f.controller.read("rs", 1L << 20, got);
        assertArrayEquals(low, got, "data below the new end intact");
        ok(f.call("PATCH", "/api/luns/rs", "{\"sizeBytes\":4194304}"), 200);
        f.controller.read("rs", 3L << 20, got);
        assertArrayEquals(new byte[got.length], got, "the shrink discarded the data beyond its end");
        ok(f.call("DELETE", "/api/luns/rs", null), 204);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{}|400|sizeBytes",
        "{\"sizeBytes\":\"big\"}|400|sizeBytes",
        "{\"sizeBytes\":0}|400|sizeBytes",
        "{\"sizeBytes\":1048577}|400|sizeBytes",
        "{\"sizeBytes\":512}|400|sizeBytes",
        "{\"sizeBytes\":4398046511104}|400|sizeBytes",
        "{\"sizeBytes\":2097152,\"raid\":\"RAID5\"}|400|raid",
        "[1]|400|body",
    })
    void shouldRejectBadResizesNamingTheField(String body, int status, String field) {
        ok(f.call("POST", "/api/luns", "{\"name\":\"rb\",\"sizeBytes\":4194304}"), 201);
        try {
            assertError(f.call("PATCH", "/api/luns/rb", body), status, field);
            assertEquals(4L << 20, f.controller.lun("rb").sizeBytes(), "a refused resize changed nothing");
        } finally {
            ok(f.call("DELETE", "/api/luns/rb", null), 204);
        }
    }

    @Test
    void shouldAnswer404And401And409() {
        assertError(f.call("PATCH", "/api/luns/nosuch", "{\"sizeBytes\":2097152}"), 404, "name");
        ok(f.call("POST", "/api/luns", "{\"name\":\"r4\",\"sizeBytes\":2097152}"), 201);
        assertError(f.send("PATCH", "/api/luns/r4", "{\"sizeBytes\":4194304}", null), 401, "Authorization");
        ok(f.call("POST", "/api/luns/r4/snapshots", "{\"name\":\"r4-s\"}"), 201);
        assertError(f.call("PATCH", "/api/luns/r4", "{\"sizeBytes\":67108864}"), 409, "sizeBytes");
        assertEquals(2L << 20, f.controller.lun("r4").sizeBytes());
        ok(f.call("PATCH", "/api/luns/r4?force=true", "{\"sizeBytes\":1048576}"), 200);   // shrinking works under snapshots, forced
        ok(f.call("DELETE", "/api/luns/r4?force=true", null), 204);
    }
}

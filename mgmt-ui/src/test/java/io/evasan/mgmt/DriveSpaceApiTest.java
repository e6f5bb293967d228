package io.evasan.mgmt;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drive files the API creates (issue 11, point 8): sizes are checked against the file system before anything is
 * written (maximum file size: 400; usable space: 507 SPACE_ALLOCATION_FAILED), both naming the size field, and a
 * refused create leaves no file or directory behind.
 */
class DriveSpaceApiTest extends ApplianceTest {
    static final long TIB = 1L << 40;

    private static Set<String> tree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> root.relativize(p).toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static int groups() {
        return obj(ok(f.call("GET", "/api/pool", null), 200)).getJsonArray("groups").size();
    }

    /** 400 (over the maximum file size) or 507 (over the usable space), whichever the file system hits first. */
    private static void assertRefusedSize(HttpResponse<String> r, String field) {
        assertTrue(r.statusCode() == 400 || r.statusCode() == 507, () -> r.statusCode() + " " + r.body());
        assertError(r, r.statusCode(), field);
        assertFalse(obj(r).getString("error").contains("Exception"), r.body());
    }

    @Test
    void shouldRefuseA64TibDriveBeforeWritingAndLeaveNothingBehind() throws Exception {
        Path poolDir = f.dir.resolve("pool");
        Set<String> before = tree(poolDir);
        int groupsBefore = groups();
        assertRefusedSize(f.call("POST", "/api/pool/groups", "{\"name\":\"g\",\"drives\":6,\"driveSizeBytes\":" + 64 * TIB + "}"),
                "driveSizeBytes");
        assertFalse(Files.exists(poolDir.resolve("drives/group-g")), "no group directory left behind");
        assertEquals(before, tree(poolDir), "nothing written under the pool directory");
        assertEquals(groupsBefore, groups());
        int id = obj(ok(f.call("GET", "/api/pool", null), 200)).getJsonArray("groups").getJsonObject(0).getInteger("id");
        int drivesBefore = f.pool.diskGroups().get(0).drives().size();
        assertRefusedSize(f.call("POST", "/api/pool/groups/" + id + "/drives", "{\"sizeBytes\":" + 64 * TIB + "}"), "sizeBytes");
        assertEquals(before, tree(poolDir), "nothing written by the refused drive either");
        assertEquals(drivesBefore, f.pool.diskGroups().get(0).drives().size());
        // the same name then works with a size the file system holds
        ok(f.call("POST", "/api/pool/groups", "{\"name\":\"g\",\"drives\":6,\"driveSizeBytes\":67108864}"), 201);
    }

    @Test
    void shouldAnswer507NamingTheSizeWhenTheDrivesExceedTheUsableSpace() throws Exception {
        Path poolDir = f.dir.resolve("pool");
        long usable = Files.getFileStore(poolDir).getUsableSpace();
        long each = ((usable / 6) / (1 << 20) + 1024) << 20;   // six of them exceed the usable space by ~6 GiB
        org.junit.jupiter.api.Assumptions.assumeTrue(each <= TIB, "this file system is too large for a refusal");
        Set<String> before = tree(poolDir);
        HttpResponse<String> r = f.call("POST", "/api/pool/groups", "{\"name\":\"big\",\"drives\":6,\"driveSizeBytes\":" + each + "}");
        assertError(r, 507, "driveSizeBytes");
        JsonObject e = obj(r);
        assertEquals("SPACE_ALLOCATION_FAILED", e.getString("code"), r.body());
        assertTrue(e.getString("error").contains("usable"), r.body());
        assertEquals(before, tree(poolDir), "nothing written");
    }
}

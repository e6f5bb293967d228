package io.evasan.mgmt;

import io.evasan.nsc.lun.SnapshotRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * POST /api/luns/{name}/snapshots {@code snapclone: true, group}: the clone's copies come from the
 * target group only, the source's group gives nothing, the promoted LUN lies wholly in the target
 * group (also after a restart), and deleting the source completes the move. Bad requests change
 * nothing. Seeded random writes are checked against a plain in-memory model.
 */
class LunMoveApiTest extends ApplianceTest {
    private static final int MIB = 1 << 20;

    private static JsonObject group(String name) {
        JsonArray gs = obj(ok(f.call("GET", "/api/pool", null), 200)).getJsonArray("groups");
        for (int i = 0; i < gs.size(); i++) {
            if (gs.getJsonObject(i).getString("name").equals(name)) {
                return gs.getJsonObject(i);
            }
        }
        throw new AssertionError("no group " + name + " in " + gs.encode());
    }

    private static long free(String name) {
        return group(name).getLong("freePsegs");
    }

    private static void writeRandom(Random rnd, long disk, byte[] model, int count) {
        for (int i = 0; i < count; i++) {
            int len = (1 + rnd.nextInt(32)) * 4096;
            int off = rnd.nextInt((model.length - len) / 512) * 512;
            byte[] b = new byte[len];
            rnd.nextBytes(b);
            f.trees.write(disk, off, b, 0, len);
            System.arraycopy(b, 0, model, off, len);
        }
    }

    private static void assertContent(long disk, byte[] model, String what) {
        byte[] got = new byte[model.length];
        f.trees.read(disk, 0, got, 0, got.length);
        for (int i = 0; i < model.length; i += 512) {
            if (!Arrays.equals(model, i, i + 512, got, i, i + 512)) {
                throw new AssertionError(what + ": block at byte " + i + " differs from the model");
            }
        }
    }

    /** Mapped segments of {@code disk}; fails when any lies outside disk group {@code group}. */
    private static int mappedIn(long disk, int group) {
        io.evasan.mapping.LogicalDisk d = f.mapping.disk((int) disk);
        assertEquals(group, d.diskGroupId(), "mapping logical disk's group");
        int n = 0;
        for (long seg = 0; seg < d.segments(); seg++) {
            long a = d.translate(seg * MIB);
            if (a != io.evasan.mapping.rsd.PhysicalAddress.UNMAPPED) {
                assertEquals(group, io.evasan.mapping.rsd.PhysicalAddress.group(a), "segment " + seg + " of disk " + disk);
                n++;
            }
        }
        return n;
    }

    private static SnapshotRecord snapshot(String name) {
        return f.controller.listSnapshots().stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
    }

    @Test
    void shouldMoveALunToAnotherGroupBySnapcloneWithGroupThenDelete() throws Exception {
        long seed = Long.getLong("seed", System.nanoTime());
        System.out.println("LunMoveApiTest seed=" + seed);
        Random rnd = new Random(seed);
        int farId = obj(ok(f.call("POST", "/api/pool/groups", "{\"name\":\"far\",\"drives\":6,\"driveSizeBytes\":67108864}"), 201))
                .getInteger("id");
        int dg0 = group("dg0").getInteger("id");
        JsonObject lun = obj(ok(f.call("POST", "/api/luns", "{\"name\":\"mover\",\"sizeBytes\":8388608}"), 201));
        assertEquals(dg0, lun.getInteger("group"));
        long src = lun.getLong("disk");
        byte[] model = new byte[8 * MIB];
        int step = 0;
        try {
            writeRandom(rnd, src, model, 30);
            long dg0Before = free("dg0");
            long farBefore = free("far");

            step = 1;
            JsonObject c = obj(ok(f.call("POST", "/api/luns/mover/snapshots",
                    "{\"name\":\"moved\",\"snapclone\":true,\"group\":\"far\"}"), 201));
            SnapshotRecord s = snapshot("moved");
            assertEquals(s.disk(), c.getLong("disk"));
            assertEquals(farId, f.trees.diskGroup(s.disk()));
            byte[] cloneModel = model.clone();
            step = 2;
            writeRandom(rnd, src, model, 30);   // copy-on-first-write into the clone: in "far"
            assertEquals(dg0Before, free("dg0"), "the clone takes nothing from the source's group");
            for (int n; (n = f.trees.bgcopyStep(s.disk(), 64)) > 0; ) {
                // BGCOPY to the end: the clone leaves the tree
            }
            assertTrue(free("far") < farBefore, "the clone's copies are in the target group");
            assertEquals(dg0Before, free("dg0"), "BGCOPY takes nothing from the source's group");
            f.controller.promoteDetachedSnapclones();
            JsonObject moved = obj(ok(f.call("GET", "/api/luns/moved", null), 200));
            assertEquals(farId, moved.getInteger("group"), moved::encode);
            assertTrue(mappedIn(s.disk(), farId) > 0, "every mapped segment of the promoted LUN is in the target group");
            assertContent(s.disk(), cloneModel, "promoted LUN (seed " + seed + ")");
            assertContent(src, model, "source (seed " + seed + ")");

            step = 3;
            long dg0BeforeDelete = free("dg0");
            ok(f.call("DELETE", "/api/luns/mover", null), 204);
            assertTrue(free("dg0") > dg0BeforeDelete, "deleting the source gives its group the space back");

            step = 4;
            f.reopen();
            assertEquals(farId, obj(ok(f.call("GET", "/api/luns/moved", null), 200)).getInteger("group"));
            assertEquals(farId, f.trees.diskGroup(s.disk()));
            mappedIn(s.disk(), farId);
            assertContent(s.disk(), cloneModel, "moved LUN after restart (seed " + seed + ")");
            // an ordinary LUN of its new group: snapshots of it stay there
            ok(f.call("POST", "/api/luns/moved/snapshots", "{\"name\":\"after\"}"), 201);
            assertEquals(farId, f.trees.diskGroup(snapshot("after").disk()));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed=" + seed + " failed at step " + step + ": " + e.getMessage(), e);
        }
    }

    @Test
    void shouldRefuseBadGroupRequestsAndChangeNothing() {
        ok(f.call("POST", "/api/luns", "{\"name\":\"stay\",\"sizeBytes\":4194304}"), 201);
        int small = obj(ok(f.call("POST", "/api/pool/groups", "{\"name\":\"tiny\",\"drives\":6,\"driveSizeBytes\":67108864}"), 201))
                .getInteger("id");
        ok(f.call("POST", "/api/luns", "{\"name\":\"huge\",\"sizeBytes\":1073741824}"), 201);
        int snaps = f.controller.listSnapshots().size();
        int luns = f.controller.listLuns().size();
        long tinyFree = free("tiny");
        assertError(f.call("POST", "/api/luns/stay/snapshots", "{\"name\":\"x1\",\"group\":" + small + "}"), 400, "group");
        assertError(f.call("POST", "/api/luns/stay/snapshots", "{\"name\":\"x2\",\"snapclone\":false,\"group\":\"tiny\"}"), 400, "group");
        assertError(f.call("POST", "/api/luns/stay/snapshots", "{\"name\":\"x3\",\"snapclone\":true,\"group\":\"nosuch\"}"), 404, "group");
        assertError(f.call("POST", "/api/luns/stay/snapshots", "{\"name\":\"x4\",\"snapclone\":true,\"group\":99}"), 404, "group");
        assertError(f.call("POST", "/api/luns/stay/snapshots", "{\"name\":\"x5\",\"snapclone\":true,\"group\":true}"), 400, "group");
        assertError(f.call("POST", "/api/luns/huge/snapshots",
                "{\"name\":\"x6\",\"snapclone\":true,\"policy\":\"RESERVE_FULL\",\"group\":\"tiny\"}"), 507, "policy");
        assertEquals(snaps, f.controller.listSnapshots().size(), "no snapshot was created");
        assertEquals(luns, f.controller.listLuns().size());
        assertEquals(tinyFree, free("tiny"), "nothing reserved in the target group");
        // a LUN with a snapshot cannot be cloned into another group
        ok(f.call("POST", "/api/luns/stay/snapshots", "{\"name\":\"keep\"}"), 201);
        assertError(f.call("POST", "/api/luns/stay/snapshots", "{\"name\":\"x7\",\"snapclone\":true,\"group\":\"tiny\"}"), 409, "snapclone");
        assertEquals(snaps + 1, f.controller.listSnapshots().size());
    }
}

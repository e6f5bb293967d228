package io.evasan.mgmt;

import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.SnapshotRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.obj;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * POST /api/luns {@code group}: a LUN created in a disk group made at run time (after the mapping
 * opened) allocates only on that group's drives, and so do its snapshots' copy-on-first-write copies,
 * a fully reserved snapshot's reservation and its snapclones' BGCOPY; the placement and the data survive a
 * restart of the whole appliance. Seeded random writes are checked against a plain in-memory model.
 */
class LunPlacementApiTest extends ApplianceTest {
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

    private static void writeRandom(Random rnd, long disk, byte[] model, int count, String what) {
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
        assertArrayEquals(model, got, what);
    }

    @Test
    void shouldPlaceALunItsSnapshotsAndTheirCopiesInTheChosenGroup() throws Exception {
        long seed = Long.getLong("seed", System.nanoTime());
        System.out.println("LunPlacementApiTest seed=" + seed);
        Random rnd = new Random(seed);

        JsonObject g = obj(ok(f.call("POST", "/api/pool/groups", "{\"name\":\"fast\",\"drives\":6,\"driveSizeBytes\":67108864}"), 201));
        int fastId = g.getInteger("id");
        long dg0Before = free("dg0");
        long fastBefore = free("fast");

        // by name, and the default stays the first group
        JsonObject lun = obj(ok(f.call("POST", "/api/luns", "{\"name\":\"placed\",\"sizeBytes\":16777216,\"group\":\"fast\"}"), 201));
        assertEquals(fastId, lun.getInteger("group"), lun::encode);
        JsonObject plain = obj(ok(f.call("POST", "/api/luns", "{\"name\":\"plain\",\"sizeBytes\":1048576}"), 201));
        assertEquals(group("dg0").getInteger("id"), plain.getInteger("group"), plain::encode);
        JsonObject byId = obj(ok(f.call("POST", "/api/luns", "{\"name\":\"byid\",\"sizeBytes\":1048576,\"group\":" + fastId + "}"), 201));
        assertEquals(fastId, byId.getInteger("group"));
        assertEquals(fastId, obj(ok(f.call("GET", "/api/luns/placed", null), 200)).getInteger("group"));

        long disk = lun.getLong("disk");
        byte[] model = new byte[16 * MIB];
        int step = 0;
        try {
            writeRandom(rnd, disk, model, 40, "lun");
            step = 1;
            assertEquals(dg0Before, free("dg0"), "the LUN's writes allocate nothing in the first group");
            long fastAfterWrites = free("fast");
            assertTrue(fastAfterWrites < fastBefore, "the LUN's writes allocate in its group");

            // an on-demand snapshot, then overwrites: the copy-on-first-write copies stay in the group
            ok(f.call("POST", "/api/luns/placed/snapshots", "{\"name\":\"s1\"}"), 201);
            SnapshotRecord s1 = snapshot("s1");
            assertEquals(fastId, f.trees.diskGroup(s1.disk()));
            byte[] snapModel = model.clone();
            step = 2;
            writeRandom(rnd, disk, model, 40, "lun after snapshot");
            step = 3;
            assertEquals(dg0Before, free("dg0"), "CFW copies allocate nothing in the first group");
            long fastAfterCfw = free("fast");
            assertTrue(fastAfterCfw < fastAfterWrites, "CFW copies allocate in the LUN's group");
            assertContent(s1.disk(), snapModel, "snapshot s1 (seed " + seed + ")");
            assertTrue(heldIn(s1.disk(), fastId) > 0, "s1 holds CFW copies");
            assertTrue(heldIn(disk, fastId) > 0);

            // a fully reserved snapshot reserves in the LUN's group
            ok(f.call("POST", "/api/luns/placed/snapshots", "{\"name\":\"s2\",\"policy\":\"RESERVE_FULL\"}"), 201);
            assertEquals(dg0Before, free("dg0"), "the reservation takes nothing from the first group");
            assertTrue(free("fast") < fastAfterCfw, "the reservation is taken from the LUN's group");
            byte[] snap2Model = model.clone();
            step = 4;
            writeRandom(rnd, disk, model, 20, "lun after the reserved snapshot");
            assertEquals(dg0Before, free("dg0"));

            // a snapclone of it lives in the same group
            ok(f.call("POST", "/api/luns/placed/snapshots", "{\"name\":\"c1\",\"snapclone\":true}"), 201);
            SnapshotRecord c1 = snapshot("c1");
            assertEquals(fastId, f.trees.diskGroup(c1.disk()));
            byte[] cloneModel = model.clone();
            step = 5;
            writeRandom(rnd, disk, model, 20, "lun after the snapclone");
            assertEquals(dg0Before, free("dg0"));
            // BGCOPY fills the snapclone with its own copies, also in the LUN's group
            long fastBeforeBgcopy = free("fast");
            int copied = 0;
            for (int n; (n = f.trees.bgcopyStep(c1.disk(), 64)) > 0; ) {
                copied += n;
            }
            assertTrue(copied > 0, "BGCOPY copied segments");
            assertEquals(dg0Before, free("dg0"), "BGCOPY allocates nothing in the first group");
            assertTrue(free("fast") <= fastBeforeBgcopy);
            assertTrue(heldIn(c1.disk(), fastId) > 0, "the snapclone holds its own copies after BGCOPY");
            assertEquals(fastId, f.trees.diskGroup(c1.disk()));
            assertContent(c1.disk(), cloneModel, "snapclone c1 after BGCOPY (seed " + seed + ")");

            step = 6;
            f.reopen();
            assertEquals(fastId, obj(ok(f.call("GET", "/api/luns/placed", null), 200)).getInteger("group"));
            assertEquals(fastId, f.trees.diskGroup(disk));
            heldIn(disk, fastId);
            heldIn(snapshot("s1").disk(), fastId);
            assertEquals(c1.disk(), f.controller.lun("c1").disk(), "the finished snapclone is a LUN now");
            assertEquals(fastId, obj(ok(f.call("GET", "/api/luns/c1", null), 200)).getInteger("group"));
            heldIn(c1.disk(), fastId);
            assertContent(disk, model, "LUN after restart (seed " + seed + ")");
            assertContent(snapshot("s1").disk(), snapModel, "s1 after restart (seed " + seed + ")");
            assertContent(snapshot("s2").disk(), snap2Model, "s2 after restart (seed " + seed + ")");
            assertContent(c1.disk(), cloneModel, "c1 after restart (seed " + seed + ")");
            long dg0AfterRestart = free("dg0");
            step = 7;
            writeRandom(rnd, disk, model, 20, "lun after restart");
            assertEquals(dg0AfterRestart, free("dg0"), "after a restart the LUN still allocates only in its group");
            assertContent(disk, model, "LUN after restart and writes (seed " + seed + ")");
            LunRecord r = f.controller.lun("placed");
            assertEquals(fastId, f.trees.diskGroup(r.disk()));

            // deleting the fully reserved snapshot gives its reservation back to the LUN's group
            step = 8;
            // (free PSEGs move only when a whole RStore empties, so the RSEGs freed are counted too)
            long fastBeforeDelete = free("fast");
            double rsegFreesBefore = f.registry.get("evasan.mapping.rseg.frees").counter().count();
            ok(f.call("DELETE", "/api/snapshots/s2", null), 204);
            assertTrue(free("fast") >= fastBeforeDelete, "deleting a snapshot takes no space");
            assertTrue(f.registry.get("evasan.mapping.rseg.frees").counter().count() > rsegFreesBefore,
                    "the reservation's RSEGs went back to the mapping");
            assertEquals(dg0AfterRestart, free("dg0"));
            assertContent(snapshot("s1").disk(), snapModel, "s1 after deleting s2 (seed " + seed + ")");
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed=" + seed + " failed at step " + step + ": " + e.getMessage(), e);
        }
    }

    @Test
    void shouldRefuseAnUnknownOrBadGroupAndCreateNothing() {
        int before = f.controller.listLuns().size();
        assertError(f.call("POST", "/api/luns", "{\"name\":\"g1\",\"sizeBytes\":1048576,\"group\":\"nosuch\"}"), 404, "group");
        assertError(f.call("POST", "/api/luns", "{\"name\":\"g1\",\"sizeBytes\":1048576,\"group\":99}"), 404, "group");
        assertError(f.call("POST", "/api/luns", "{\"name\":\"g1\",\"sizeBytes\":1048576,\"group\":-1}"), 404, "group");
        assertError(f.call("POST", "/api/luns", "{\"name\":\"g1\",\"sizeBytes\":1048576,\"group\":true}"), 400, "group");
        assertError(f.call("POST", "/api/luns", "{\"name\":\"g1\",\"sizeBytes\":1048576,\"group\":1.5}"), 400, "group");
        assertError(f.call("POST", "/api/luns", "{\"name\":\"g1\",\"sizeBytes\":1048576,\"group\":[0]}"), 400, "group");
        assertEquals(before, f.controller.listLuns().size(), "nothing was created");
        assertEquals(0, f.trees.diskGroup(f.controller.lun(
                obj(ok(f.call("POST", "/api/luns", "{\"name\":\"g1\",\"sizeBytes\":1048576,\"group\":\"dg0\"}"), 201))
                        .getString("name")).disk()));
    }

    /** Segments {@code disk} holds; fails when any of its mapped segments lies outside disk group {@code group}. */
    private static int heldIn(long disk, int group) {
        io.evasan.mapping.LogicalDisk d = f.mapping.disk((int) disk);
        assertEquals(group, d.diskGroupId(), "mapping logical disk's group");
        int held = 0;
        for (long seg = 0; seg < d.segments(); seg++) {
            long a = d.translate(seg * MIB);
            if (a != io.evasan.mapping.rsd.PhysicalAddress.UNMAPPED) {
                assertEquals(group, io.evasan.mapping.rsd.PhysicalAddress.group(a), "segment " + seg + " of disk " + disk);
                if (io.evasan.mapping.lmap.LmapEntry.holder(d.entry(seg))) {
                    held++;
                }
            }
        }
        return held;
    }

    private static SnapshotRecord snapshot(String name) {
        return f.controller.listSnapshots().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }
}

package io.evasan.iscsi;

import io.evasan.deploy.EmbeddedAppliance;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.scsi.alua.AccessState;
import io.evasan.scsi.cdb.SetTargetPortGroupsDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Explicit ALUA against the real cell over iSCSI: a host logged in on NSC B's portal sends SET TARGET PORT GROUPS
 * asking for group 2 (B's ports) active/optimized; lun0 moves from A to B, REPORT TARGET PORT GROUPS shows the new
 * states with STATUS CODE 01h, and the data written before reads back. With B down, a request that needs B fails with
 * 04/67/0A and moves nothing; a malformed list is 05/26/00.
 *
 * <p>In package {@code io.evasan.iscsi} to use the iscsi module's raw-PDU {@link TestInitiator}.
 */
class SetTargetPortGroupsE2eTest {
    @TempDir
    Path dir;

    @Test
    void shouldMoveTheLunToTheControllerWhoseGroupTheHostAsksToBeOptimized() throws Exception {
        try (EmbeddedAppliance app = EmbeddedAppliance.start(EmbeddedAppliance.Options.forTest(dir.resolve("data")))) {
            LunRecord lun = app.controller().listLuns().get(0);
            app.pair().move(lun.id(), NscId.A);
            byte[] data = new byte[1 << 20];
            Arrays.fill(data, (byte) 0x6B);
            app.controller().logicalUnit(lun.name()).write(0, data.length / io.evasan.scsi.lu.LogicalUnit.BLOCK_SIZE,
                    java.nio.ByteBuffer.wrap(data), true);
            try (TestInitiator in = new TestInitiator(app.iscsiPort(NscId.B, 0))) {
                in.initiatorName = "iqn.2026-12.io.evasan.test:stpg";
                assertEquals(0, TestInitiator.statusOf(in.loginNormal(EmbeddedAppliance.DEFAULT_IQN)), "login");
                for (int i = 0; i < 5 && command(in, new byte[6], 0, null)[0] != 0; i++) {
                    // TEST UNIT READY until the power-on unit attention is consumed
                }
                byte[] inquiry = command(in, new byte[] {0x12, 0, 0, 0, 96, 0}, 96, null);
                assertEquals(0, inquiry[0], "INQUIRY");

                byte[] answer = stpg(in, 2, AccessState.ACTIVE_OPTIMIZED);
                assertEquals(0, answer[0], "GOOD: " + Arrays.toString(answer));
                assertEquals(NscId.B, app.pair().ownership(lun.id()).owner(), "lun0 moved to B");
                assertEquals(0, command(in, new byte[6], 0, null)[0], "no unit attention for the host that asked");
                byte[] rtpg = rtpg(in);
                assertEquals(0x01, rtpg[4] & 0x0F, "group 1 active/non-optimized");
                assertEquals(0x01, rtpg[9], "group 1 altered by SET TARGET PORT GROUPS");
                assertEquals(0x00, rtpg[4 + 24] & 0x0F, "group 2 active/optimized (a group of four ports: 24 bytes)");
                assertEquals(0x01, rtpg[4 + 24 + 5], "group 2 altered by SET TARGET PORT GROUPS");
                byte[] back = new byte[data.length];
                app.controller().read(lun.name(), 0, back);
                assertEquals(Arrays.hashCode(data), Arrays.hashCode(back), "the data moved with the LUN");

                byte[] bad = SetTargetPortGroupsDescriptor.encodeParameters(
                        List.of(new SetTargetPortGroupsDescriptor.Request(9, AccessState.ACTIVE_OPTIMIZED)));
                byte[] refused = command(in, cdb(bad.length), 0, bad);
                assertEquals(0x02, refused[0], "CHECK CONDITION");
                assertSense(refused, 0x05, 0x26, 0x00);
                assertEquals(NscId.B, app.pair().ownership(lun.id()).owner(), "nothing moved");
            }
            app.pair().kill(NscId.B);
            assertEquals(NscId.A, app.pair().ownership(lun.id()).owner(), "taken over by A");
            try (TestInitiator in = new TestInitiator(app.iscsiPort(NscId.A, 0))) {
                in.initiatorName = "iqn.2026-12.io.evasan.test:stpg2";
                assertEquals(0, TestInitiator.statusOf(in.loginNormal(EmbeddedAppliance.DEFAULT_IQN)), "login");
                for (int i = 0; i < 5 && command(in, new byte[6], 0, null)[0] != 0; i++) {
                    // unit attentions
                }
                byte[] failed = stpg(in, 1, AccessState.ACTIVE_NON_OPTIMIZED);   // needs B, which is down
                assertEquals(0x02, failed[0], "CHECK CONDITION");
                assertSense(failed, 0x04, 0x67, 0x0A);
                assertEquals(NscId.A, app.pair().ownership(lun.id()).owner(), "nothing moved");
            }
        }
    }

    private static void assertSense(byte[] answer, int key, int asc, int ascq) {
        byte[] sense = Arrays.copyOfRange(answer, 1, answer.length);
        assertEquals(key, sense[2] & 0x0F, "sense key");
        assertEquals(asc, sense[12] & 0xFF, "ASC");
        assertEquals(ascq, sense[13] & 0xFF, "ASCQ");
    }

    private static byte[] cdb(int paramLen) {
        byte[] cdb = new byte[12];
        SetTargetPortGroupsDescriptor.encodeCdb(cdb, paramLen);
        return cdb;
    }

    private static byte[] stpg(TestInitiator in, int group, AccessState state) throws Exception {
        byte[] p = SetTargetPortGroupsDescriptor.encodeParameters(
                List.of(new SetTargetPortGroupsDescriptor.Request(group, state)));
        return command(in, cdb(p.length), 0, p);
    }

    /** REPORT TARGET PORT GROUPS' data (length-only format). */
    private static byte[] rtpg(TestInitiator in) throws Exception {
        byte[] cdb = {(byte) 0xA3, 0x0A, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
        int itt = in.itt++;
        in.send(in.scsiCmd(itt, true, false, true, 256, cdb, false), null);
        in.cmdSN++;
        byte[] data = null;
        while (true) {
            TestInitiator.Rx r = in.readSkippingPings(10_000);
            assertNotNull(r, "no answer to REPORT TARGET PORT GROUPS");
            if (r.opcode() == 0x25) {
                data = data == null ? r.data : concat(data, r.data);
                if ((r.flags() & 0x01) != 0) {
                    in.expStatSN = r.u32(24) + 1;
                    assertEquals(0, r.u8(3), "GOOD");
                    return data;
                }
            } else if (r.opcode() == 0x21) {
                in.expStatSN = r.u32(24) + 1;
                assertEquals(0, r.u8(3), "GOOD");
                return data;
            }
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /**
     * Sends one CDB to LUN 0 (read direction when {@code edtl > 0}; {@code out} as immediate data) and returns the
     * SCSI status followed by the sense bytes.
     */
    private static byte[] command(TestInitiator in, byte[] cdb, int edtl, byte[] out) throws Exception {
        int itt = in.itt++;
        boolean write = out != null;
        in.send(in.scsiCmd(itt, !write && edtl > 0, write, true, write ? out.length : edtl, cdb, false), out);
        in.cmdSN++;
        while (true) {
            TestInitiator.Rx r = in.readSkippingPings(10_000);
            assertNotNull(r, "no answer to opcode " + (cdb[0] & 0xFF));
            if (r.opcode() == 0x25 && (r.flags() & 0x01) != 0) {
                in.expStatSN = r.u32(24) + 1;
                return new byte[] {(byte) r.u8(3)};
            }
            if (r.opcode() == 0x21) {
                in.expStatSN = r.u32(24) + 1;
                int senseLen = r.data.length >= 2 ? ((r.data[0] & 0xFF) << 8) | (r.data[1] & 0xFF) : 0;
                byte[] res = new byte[1 + senseLen];
                res[0] = (byte) r.u8(3);
                if (senseLen > 0) {
                    System.arraycopy(r.data, 2, res, 1, senseLen);
                }
                return res;
            }
        }
    }
}

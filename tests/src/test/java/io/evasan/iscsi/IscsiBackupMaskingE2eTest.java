package io.evasan.iscsi;

import io.evasan.deploy.EmbeddedAppliance;
import io.evasan.nsc.Controller;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.scsi.lu.LogicalUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Issue 11 finding 1 end to end: the whole appliance, an initiator logged in over iSCSI under the
 * intruder's name, the report's raw CDBs sent through its own LUN 0 (SNAPSHOT INITIATE, then LOP START
 * from its LUN into a LUN presented only to another host). The target answers CHECK CONDITION
 * 05/24/00 with the field pointer at the destination byte and the victim keeps its data.
 *
 * <p>In package {@code io.evasan.iscsi} to use the iscsi module's raw-PDU {@link TestInitiator}
 * (its test jar), which sends any CDB; no other client here sends vendor CDBs.
 */
class IscsiBackupMaskingE2eTest {
    static final String GOOD = "iqn.2026-01.io.good:host";
    static final String INTRUDER = "iqn.2026-01.io.probe:intruder";
    static final int SIZE = 8 << 20;

    @TempDir
    Path dir;

    @Test
    void shouldRefuseTheIntrudersRawLopStartOverIscsi() throws Exception {
        EmbeddedAppliance.Options o = new EmbeddedAppliance.Options(dir.resolve("data"), "127.0.0.1", 0,
                EmbeddedAppliance.DEFAULT_IQN, RaidLevel.RAID0, 64L << 20, true, false, "127.0.0.1", 0)
                .withHeartbeatTimeout(EmbeddedAppliance.TEST_HEARTBEAT_TIMEOUT_MS);   // no failover from a loaded machine
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            Controller ctl = app.controller();
            ctl.defineLogLun("log", 16L << 20);
            LunRecord victim = ctl.createLun("victim", SIZE);
            LunRecord mine = ctl.createLun("mine", SIZE);
            ctl.unpresentLun("*", 0);   // the first start's LUN 0 for everyone would be shadowed (refused): masking is tested here
            ctl.presentLun(GOOD, 0, "victim");
            ctl.presentLun(INTRUDER, 0, "mine");
            byte[] victimData = fill(ctl.logicalUnit("victim"), 0x5A);
            fill(ctl.logicalUnit("mine"), 0xA5);

            try (TestInitiator in = new TestInitiator(app.iscsiPort())) {
                in.initiatorName = INTRUDER;
                assertEquals(0, TestInitiator.statusOf(in.loginNormal(EmbeddedAppliance.DEFAULT_IQN)), "login");
                for (int i = 0; i < 5 && command(in, new byte[6], 0)[0] != 0; i++) {
                    // TEST UNIT READY until the power-on unit attention is consumed
                }
                byte[] init = {0x20, 0, 0x50, 0, 0, 0, 0, 0, 0, 0};
                assertEquals(0, command(in, init, 0)[0], "SNAPSHOT INITIATE of its own LUN is allowed");
                byte[] lop = {0x20, 0, 0x44, 0x01, (byte) mine.id(), (byte) victim.id(), 0, 0, 0x40, 0};
                byte[] answer = command(in, lop, 64);
                assertEquals(0x02, answer[0], "CHECK CONDITION");
                byte[] sense = Arrays.copyOfRange(answer, 1, answer.length);
                assertEquals(0x05, sense[2] & 0x0F, "ILLEGAL REQUEST");
                assertEquals(0x24, sense[12] & 0xFF, "INVALID FIELD IN CDB");
                assertEquals(0xC0, sense[15] & 0xC0, "SKSV, C/D=1");
                assertEquals(5, ((sense[16] & 0xFF) << 8) | (sense[17] & 0xFF), "field pointer: DESTINATION");
            }
            ctl.backupEngine().awaitCopy(2_000);
            assertNull(ctl.backupEngine().copyProgress(), "no copy was started");
            byte[] now = new byte[SIZE];
            ctl.read("victim", 0, now);
            assertArrayEquals(victimData, now, "the victim keeps its data");
        }
    }

    private static byte[] fill(LogicalUnit lu, int seed) throws Exception {
        byte[] b = new byte[SIZE];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (seed + i * 13 + (i >>> 9));
        }
        int chunk = 1 << 20;
        for (int off = 0; off < SIZE; off += chunk) {
            lu.write(off / LogicalUnit.BLOCK_SIZE, chunk / LogicalUnit.BLOCK_SIZE, ByteBuffer.wrap(b, off, chunk).slice(), true);
        }
        return b;
    }

    /**
     * Sends one CDB to LUN 0 (read direction when {@code edtl > 0}) and returns the SCSI status
     * followed by the sense bytes of the SCSI Response (Data-In PDUs before it are skipped).
     */
    private static byte[] command(TestInitiator in, byte[] cdb, int edtl) throws Exception {
        int itt = in.itt++;
        in.send(in.scsiCmd(itt, edtl > 0, false, true, edtl, cdb, false), null);
        in.cmdSN++;
        while (true) {
            TestInitiator.Rx r = in.readSkippingPings(10_000);
            assertNotNull(r, "no answer to opcode " + (cdb[0] & 0xFF));
            if (r.opcode() == 0x25 && (r.flags() & 0x01) != 0) {   // Data-In carrying status
                in.expStatSN = r.u32(24) + 1;
                return new byte[]{(byte) r.u8(3)};
            }
            if (r.opcode() == 0x21) {                             // SCSI Response
                in.expStatSN = r.u32(24) + 1;
                int senseLen = r.data.length >= 2 ? ((r.data[0] & 0xFF) << 8) | (r.data[1] & 0xFF) : 0;
                byte[] out = new byte[1 + senseLen];
                out[0] = (byte) r.u8(3);
                if (senseLen > 0) {
                    System.arraycopy(r.data, 2, out, 1, senseLen);
                }
                return out;
            }
        }
    }
}

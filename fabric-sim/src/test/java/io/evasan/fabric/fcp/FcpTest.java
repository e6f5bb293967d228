package io.evasan.fabric.fcp;

import io.evasan.fabric.fcp.FcpInitiator.Result;
import io.evasan.fabric.frame.Els;
import io.evasan.fabric.frame.ElsDescriptor;
import io.evasan.fabric.frame.FcpDescriptor;
import io.evasan.fabric.frame.Frame;
import io.evasan.fabric.frame.FrameHeader;
import io.evasan.fabric.frame.FrameHeaderDescriptor;
import io.evasan.fabric.nport.NPort;
import io.evasan.fabric.switching.FabricFixture;
import io.evasan.fabric.switching.ZoneSet;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.impl.MemoryLogicalUnit;
import io.evasan.scsi.lu.impl.PresentationTable;
import io.evasan.scsi.target.impl.DiskTarget;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class FcpTest {
    static final long HOST = 0x1000_0000_C9AA_0001L;
    static final long HOST2 = 0x1000_0000_C9AA_0002L;
    static final long TARGET = 0x5000_1FE1_5000_0001L;

    static byte[] rw10(int opcode, int lba, int blocks) {
        return ByteBuffer.allocate(10).put((byte) opcode).put((byte) 0).putInt(lba).put((byte) 0)
                .putShort((short) blocks).put((byte) 0).array();
    }

    /** Sense key of fixed (70h/71h) or descriptor (72h/73h) format sense. */
    static int senseKey(byte[] s) {
        return (s[0] & 0x7F) >= 0x72 ? s[1] & 0xF : s[2] & 0xF;
    }

    static int asc(byte[] s) {
        return (s[0] & 0x7F) >= 0x72 ? s[2] & 0xFF : s[12] & 0xFF;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldServeScsiOverFcpThroughTheFabric(boolean tcp) throws Exception {
        long seed = new Random().nextLong();
        System.out.println("FcpTest seed " + seed + " tcp " + tcp);
        PresentationTable table = new PresentationTable();
        table.present(PresentationTable.ALL, 0, MemoryLogicalUnit.ofBytes("lun0", 4 << 20));
        try (FabricFixture fx = new FabricFixture(tcp); DiskTarget disk = new DiskTarget(table)) {
            fx.fabric.activate(ZoneSet.empty("cfg").with("z", HOST, HOST2, TARGET));
            NPort tport = fx.port("nsc-a-1", TARGET, false, true);
            FcpTarget fcpTarget = new FcpTarget(tport, disk, 1);
            NPort hport = fx.port("host", HOST, true, false);
            FcpInitiator ini = new FcpInitiator(hport, FabricFixture.WAIT);
            tport.fabricLogin();
            hport.fabricLogin();
            int t = tport.portId();
            assertEquals(List.of(t, hport.portId()), hport.gidFtFcp(), "GID_FT in N_Port ID order");
            assertTrue(hport.login(t).pages().get(0).targetFunction());

            Result first = ini.command(t, 0, new byte[6], new byte[0], 0);
            assertEquals(ScsiStatus.CHECK_CONDITION, first.status(), "the new nexus' first command");
            assertEquals(6, senseKey(first.sense()), "UNIT ATTENTION");
            assertEquals(0x29, asc(first.sense()), "POWER ON, RESET, OR BUS DEVICE RESET OCCURRED");
            assertEquals(ScsiStatus.GOOD, ini.command(t, 0, new byte[6], new byte[0], 0).status(), "TEST UNIT READY");
            Result inq = ini.command(t, 0, new byte[] {0x12, 0, 0, 0, 96, 0}, new byte[0], 96);
            assertEquals(ScsiStatus.GOOD, inq.status());
            assertEquals(0, inq.data()[0] & 0x1F, "direct-access block device");

            // WRITE(10) then READ(10) of 40 blocks (20 KiB: 10 FCP_DATA frames each way)
            byte[] pattern = new byte[40 * LogicalUnit.BLOCK_SIZE];
            new Random(seed).nextBytes(pattern);
            Result w = ini.command(t, 0, rw10(0x2A, 100, 40), pattern, 0);
            assertEquals(ScsiStatus.GOOD, w.status(), "seed " + seed);
            assertFalse(w.residualUnder() || w.residualOver());
            Result r = ini.command(t, 0, rw10(0x28, 100, 40), new byte[0], pattern.length);
            assertEquals(ScsiStatus.GOOD, r.status());
            assertArrayEquals(pattern, r.data(), "seed " + seed);

            // 16 commands in flight at once, each its own exchange
            List<java.util.Map.Entry<Integer, java.util.concurrent.CompletableFuture<Result>>> writes = new java.util.ArrayList<>();
            for (int i = 0; i < 16; i++) {
                writes.add(ini.start(t, 0, rw10(0x2A, 1000 + i * 4, 4), java.util.Arrays.copyOfRange(pattern, i * 1024,
                        i * 1024 + 2048), 0));
            }
            for (var w16 : writes) {
                assertEquals(ScsiStatus.GOOD, w16.getValue().get(FabricFixture.WAIT.toSeconds(),
                        java.util.concurrent.TimeUnit.SECONDS).status(), "seed " + seed);
            }
            for (int i = 0; i < 16; i++) {
                Result r16 = ini.command(t, 0, rw10(0x28, 1000 + i * 4, 4), new byte[0], 2048);
                assertArrayEquals(java.util.Arrays.copyOfRange(pattern, i * 1024, i * 1024 + 2048), r16.data(), "seed " + seed);
            }

            // FCP_DL larger than the CDB's transfer: residual under
            Result shortRead = ini.command(t, 0, rw10(0x28, 100, 2), new byte[0], 4096);
            assertEquals(ScsiStatus.GOOD, shortRead.status());
            assertTrue(shortRead.residualUnder());
            assertEquals(4096 - 1024, shortRead.residual());
            assertArrayEquals(java.util.Arrays.copyOf(pattern, 1024), shortRead.data());

            // an unknown opcode and a LUN that is not presented: CHECK CONDITION, ILLEGAL REQUEST
            Result bad = ini.command(t, 0, new byte[] {(byte) 0xFF, 0, 0, 0, 0, 0}, new byte[0], 0);
            assertEquals(ScsiStatus.CHECK_CONDITION, bad.status());
            assertEquals(5, senseKey(bad.sense()));
            assertEquals(0x20, asc(bad.sense()), "INVALID COMMAND OPERATION CODE");
            Result noLun = ini.command(t, 7, new byte[6], new byte[0], 0);
            assertEquals(ScsiStatus.CHECK_CONDITION, noLun.status());
            assertEquals(0x25, asc(noLun.sense()), "LOGICAL UNIT NOT SUPPORTED");

            // task management and ABTS
            assertEquals(FcpDescriptor.RSP_TMF_CMPL, ini.taskManagement(t, 0, FcpDescriptor.TMF_LUN_RESET).rspCode());
            assertEquals(FcpDescriptor.RSP_TMF_CMPL, ini.taskManagement(t, 0, FcpDescriptor.TMF_ABT_TASK_SET).rspCode());
            assertFalse(ini.abort(t, 0x7777), "ABTS of an exchange the target does not have: BA_RJT");
            Result ua = ini.command(t, 0, rw10(0x28, 100, 1), new byte[0], 512);
            assertEquals(ScsiStatus.CHECK_CONDITION, ua.status(), "the LUN reset is reported once");
            assertEquals(6, senseKey(ua.sense()));
            assertEquals(0x29, asc(ua.sense()));
            assertTrue(ua.residualUnder());
            Result after = ini.command(t, 0, rw10(0x28, 100, 1), new byte[0], 512);
            assertArrayEquals(java.util.Arrays.copyOf(pattern, 512), after.data(), "the LUN still serves after the resets");

            // a zoned port that logged in to the fabric but never did PLOGI/PRLI with the target
            NPort stranger = fx.port("host2", HOST2, true, false);
            stranger.fabricLogin();
            stranger.send(new Frame(FrameHeader.request(FrameHeaderDescriptor.R_CTL_DD_UNSOL_CMD,
                    FrameHeaderDescriptor.TYPE_FCP, stranger.portId(), t, stranger.nextOxId()),
                    FcpDescriptor.Cmnd.scsi(0, rw10(0x28, 100, 1), true, false, 512).encode()));
            Els prliFirst = stranger.els(t, new Els.Prli(ElsDescriptor.PRLI, List.of(Els.ServicePage.fcp(true, false))));
            assertEquals(new Els.LsRjt(ElsDescriptor.RJT_LOGIC, ElsDescriptor.EXPL_PLOGI_REQD), prliFirst);
            assertEquals(1, fcpTarget.dropped(), "the FCP_CMND without an image pair was dropped");
            fcpTarget.close();
        }
    }
}

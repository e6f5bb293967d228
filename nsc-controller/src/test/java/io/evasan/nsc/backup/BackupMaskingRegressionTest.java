package io.evasan.nsc.backup;

import io.evasan.nsc.Nsc;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.vendor.DcmdCodes;
import io.evasan.scsi.vendor.DcmdDescriptor;
import org.junit.jupiter.api.Test;

import static io.evasan.nsc.Nsc.read10;
import static io.evasan.nsc.Nsc.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11, finding 1, reproduced byte for byte: an initiator must not overwrite (LOP START into) or
 * read (LOP START out of) a LUN that is not presented to it by naming its system drive number. The
 * refusal is CHECK CONDITION 05/24/00 (the seed's "Illegal CDB") with the field pointer at the
 * offending CDB byte, and nothing changes: no copy starts, both LUNs keep their data.
 *
 * <p>Layout as in the report: log LUN defined (id 0, presented to nobody), {@code victim} (id 1)
 * presented only to {@link #GOOD} at host LUN 0, {@code mine} (id 2) only to {@link #INTRUDER} at
 * host LUN 0; every LUN 1 MiB.
 */
class BackupMaskingRegressionTest {
    static final String GOOD = "iqn.2026-01.io.good:host";
    static final String INTRUDER = "iqn.2026-01.io.probe:intruder";
    static final int SEG = Nsc.SEG;
    static final long SIZE = 16L * SEG;

    /** SNAPSHOT INITIATE exactly as sent by the intruder. */
    static final byte[] INITIATE = hex("20 00 50 00 00 00 00 00 00 00");
    /** LOP START full copy, source drive 2, destination drive 1, allocation length 64. */
    static final byte[] LOP_START_2_TO_1 = hex("20 00 44 01 02 01 00 00 40 00");

    static byte[] hex(String s) {
        String[] p = s.split(" ");
        byte[] b = new byte[p.length];
        for (int i = 0; i < p.length; i++) {
            b[i] = (byte) Integer.parseInt(p[i], 16);
        }
        return b;
    }

    static final class Layout implements AutoCloseable {
        final Nsc n = new Nsc("mask-regression");
        final LunRecord log = n.ctl.defineLogLun("log", 8L * SEG);
        final LunRecord victim = n.ctl.createLun("victim", SIZE);
        final LunRecord mine = n.ctl.createLun("mine", SIZE);
        final ItNexus good;
        final ItNexus intruder;
        final byte[] victimData = Nsc.pattern((int) SIZE, 11);
        final byte[] mineData = Nsc.pattern((int) SIZE, 22);

        Layout() {
            assertEquals(0, log.id());
            assertEquals(1, victim.id(), "victim is system drive 1 as in the report");
            assertEquals(2, mine.id(), "mine is system drive 2 as in the report");
            n.ctl.presentLun(GOOD, 0, "victim");
            n.ctl.presentLun(INTRUDER, 0, "mine");
            good = n.nexus(GOOD);
            intruder = n.nexus(INTRUDER);
            write(good, victimData);
            write(intruder, mineData);
        }

        void write(ItNexus x, byte[] data) {
            int blocks = SEG / 512;
            for (int s = 0; s < SIZE / SEG; s++) {
                byte[] seg = java.util.Arrays.copyOfRange(data, s * SEG, (s + 1) * SEG);
                Nsc.Result r = n.runNoUa(x, 0, write10((long) s * blocks, blocks, true), seg, SEG);
                assertTrue(r.good(), "write " + r);
            }
        }

        byte[] content(String lun) {
            byte[] b = new byte[(int) SIZE];
            n.ctl.read(lun, 0, b);
            return b;
        }

        /** Both LUNs hold what their own hosts wrote, and no copy was ever started. */
        void assertUntouched() throws InterruptedException {
            n.ctl.backupEngine().awaitCopy(2_000);   // a copy wrongly started would have finished by now
            assertNull(n.ctl.backupEngine().copyProgress(), "no LOP copy was started");
            assertArrayEquals(victimData, content("victim"), "victim keeps its data");
            assertArrayEquals(mineData, content("mine"), "the intruder's LUN holds no victim data");
            Nsc.Result r = n.runNoUa(good, 0, read10(0, 8), null, 4096);
            assertTrue(r.good(), r.toString());
            assertArrayEquals(java.util.Arrays.copyOf(victimData, 4096), r.data, "victim's host reads its own data");
        }

        @Override
        public void close() {
            n.close();
        }
    }

    static void assertIllegalCdbAt(Nsc.Result r, int field) {
        assertEquals(ScsiStatus.CHECK_CONDITION, r.status, "CHECK CONDITION, not a LOP return word: " + r);
        assertEquals(DcmdCodes.ILLEGAL_CDB, r.sense, "05/24/00: " + r);
        assertEquals(field, r.fieldPointer, "field pointer at CDB byte " + field);
        assertEquals(0xC0, r.senseBytes[15] & 0xC0, "SKSV=1, C/D=1 (the field is in the CDB)");
    }

    @Test
    void shouldRefuseTheIntrudersLopStartIntoAnUnpresentedLun() throws Exception {
        try (Layout l = new Layout()) {
            Nsc.Result init = l.n.runNoUa(l.intruder, 0, INITIATE, null, 0);
            assertTrue(init.good(), "initiating a backup of its own LUN is allowed: " + init);
            assertEquals(l.mine.id(), l.n.ctl.backupEngine().activePrimary());

            Nsc.Result r = l.n.runNoUa(l.intruder, 0, LOP_START_2_TO_1, null, 64);
            assertIllegalCdbAt(r, DcmdDescriptor.DESTINATION_OFFSET);
            l.assertUntouched();
            assertEquals(BackupState.ACTIVE, l.n.ctl.backupEngine().state(), "the intruder's own backup is unaffected");
        }
    }

    @Test
    void shouldRefuseTheIntrudersLopStartOutOfAnotherHostsSnapshot() throws Exception {
        try (Layout l = new Layout()) {
            l.n.ctl.initiateBackup("victim");   // the administrator's backup of the victim
            assertEquals(l.victim.id(), l.n.ctl.backupEngine().activePrimary());

            Nsc.Result bySource = l.n.runNoUa(l.intruder, 0, hex("20 00 44 01 01 02 00 00 40 00"), null, 64);
            assertIllegalCdbAt(bySource, DcmdDescriptor.SOURCE_OFFSET);
            Nsc.Result byLog = l.n.runNoUa(l.intruder, 0, hex("20 00 44 01 00 02 00 00 40 00"), null, 64);
            assertIllegalCdbAt(byLog, DcmdDescriptor.SOURCE_OFFSET);
            Nsc.Result incremental = l.n.runNoUa(l.intruder, 0, hex("20 00 44 02 01 02 00 00 40 00"), null, 64);
            assertIllegalCdbAt(incremental, DcmdDescriptor.SOURCE_OFFSET);
            l.assertUntouched();
            assertEquals(BackupState.ACTIVE, l.n.ctl.backupEngine().state(), "the administrator's backup stays active");
        }
    }

    @Test
    void shouldAnswerAnAbsentDriveLikeAMaskedOne() throws Exception {
        try (Layout l = new Layout()) {
            assertTrue(l.n.runNoUa(l.intruder, 0, INITIATE, null, 0).good());
            Nsc.Result masked = l.n.runNoUa(l.intruder, 0, LOP_START_2_TO_1, null, 64);
            Nsc.Result absent = l.n.runNoUa(l.intruder, 0, hex("20 00 44 01 02 05 00 00 40 00"), null, 64);
            assertIllegalCdbAt(absent, DcmdDescriptor.DESTINATION_OFFSET);
            assertArrayEquals(masked.senseBytes, absent.senseBytes, "no oracle for which drive numbers exist");
            l.assertUntouched();
        }
    }

    @Test
    void shouldHideAnotherInitiatorsCopyFromLopStatus() throws Exception {
        try (Layout l = new Layout()) {
            LunRecord dst = l.n.ctl.createLun("dst", SIZE);
            l.n.ctl.presentLun(GOOD, 1, "dst");
            l.n.ctl.initiateBackup("victim");
            l.n.ctl.startBackupCopy("dst", false, true);   // dst is presented: forced
            l.n.ctl.backupEngine().awaitCopy(30_000);
            byte[] status = new byte[10];
            DcmdDescriptor.encodeLopStatus(status, DcmdDescriptor.LOP_COPY_SYSTEM_DRIVE, 2);
            Nsc.Result seen = l.n.runNoUa(l.good, 1, status, null, 2);
            assertEquals(DcmdCodes.LOP_STATUS_COMPLETED, DcmdDescriptor.decodeReturnData(seen.data, 0),
                    "a host that sees the copy's LUNs gets its status");
            Nsc.Result hidden = l.n.runNoUa(l.intruder, 0, status, null, 2);
            assertEquals(DcmdCodes.LOP_STATUS_NO_COPY_IN_PROGRESS, DcmdDescriptor.decodeReturnData(hidden.data, 0),
                    "the intruder learns nothing about a copy between LUNs it cannot see");
            assertArrayEquals(l.victimData, l.content(dst.name()));
        }
    }
}

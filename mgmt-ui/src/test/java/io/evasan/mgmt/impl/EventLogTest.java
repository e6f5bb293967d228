package io.evasan.mgmt.impl;

import io.evasan.mgmt.impl.EventLog.Page;
import io.evasan.mgmt.impl.EventLog.Query;
import io.evasan.mgmt.impl.EventRecordDescriptor.Event;
import io.evasan.mgmt.impl.EventRecordDescriptor.Severity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The persistent event log: survives a reopen, a torn tail and a damaged record; filters and pages newest first. */
class EventLogTest {
    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong(1_000_000);

    private static Query all() {
        return new Query("", Severity.INFO, 0, Long.MAX_VALUE, 0, EventLog.MAX_PAGE);
    }

    private static List<Long> seqs(Page p) {
        List<Long> l = new ArrayList<>();
        for (Event e : p.events()) {
            l.add(e.seq());
        }
        return l;
    }

    @Test
    void shouldKeepEveryEventAcrossAReopenAndContinueTheSeq() {
        Path f = dir.resolve("mgmt/events.log");
        try (EventLog log = EventLog.open(f, now::get)) {
            log.append(Severity.INFO, "audit", "lun a", "token x from 127.0.0.1", "POST /api/luns -> 201");
            log.append(Severity.CRITICAL, "health", "drive dg0/1", "", "OK -> FAILED");
        }
        try (EventLog log = EventLog.open(f, now::get)) {
            assertEquals(List.of(2L, 1L), seqs(log.query(all())));
            assertEquals("token x from 127.0.0.1", log.query(all()).events().get(1).actor());
            assertEquals(3, log.append(Severity.INFO, "health", "drive dg0/1", "", "FAILED -> OK").seq());
        }
    }

    @Test
    void shouldCutOffATornTailAndSkipADamagedRecordInTheMiddle() throws Exception {
        Path f = dir.resolve("events.log");
        try (EventLog log = EventLog.open(f, now::get)) {
            for (int i = 1; i <= 3; i++) {
                log.append(Severity.INFO, "audit", "o" + i, "", "event " + i);
            }
        }
        byte[] all = Files.readAllBytes(f);
        int one = all.length / 3;                       // the three records have the same length
        all[one + 40] ^= 1;                              // damage record 2's strings
        byte[] torn = java.util.Arrays.copyOf(all, all.length + 10);   // and a torn fourth record
        System.arraycopy(all, 0, torn, all.length, 10);
        Files.write(f, torn);
        try (EventLog log = EventLog.open(f, now::get)) {
            assertEquals(List.of(3L, 1L), seqs(log.query(all())));
            assertEquals(one, log.skippedBytes());
            assertEquals(10, log.truncatedBytes());
            assertEquals(all.length, Files.size(f), "the torn tail is cut off the file");
            assertEquals(4, log.append(Severity.INFO, "audit", "o4", "", "after").seq());
        }
        try (EventLog log = EventLog.open(f, now::get)) {
            assertEquals(List.of(4L, 3L, 1L), seqs(log.query(all())));
            assertEquals(0, log.truncatedBytes());
        }
    }

    @Test
    void shouldFilterByObjectSeverityAndTimeAndPageNewestFirst() {
        try (EventLog log = EventLog.open(dir.resolve("events.log"), now::get)) {
            for (int i = 1; i <= 10; i++) {
                now.set(1_000L * i);
                log.append(i % 3 == 0 ? Severity.CRITICAL : Severity.INFO, "health", i % 2 == 0 ? "lun even" : "lun odd", "",
                        "event " + i);
            }
            assertEquals(List.of(10L, 8L, 6L, 4L, 2L), seqs(log.query(new Query("lun even", Severity.INFO, 0, Long.MAX_VALUE, 0, 100))));
            assertEquals(List.of(9L, 6L, 3L), seqs(log.query(new Query("", Severity.WARNING, 0, Long.MAX_VALUE, 0, 100))));
            assertEquals(List.of(7L, 6L, 5L), seqs(log.query(new Query("", Severity.INFO, 5_000, 7_000, 0, 100))));
            Page p1 = log.query(new Query("", Severity.INFO, 0, Long.MAX_VALUE, 0, 4));
            assertEquals(List.of(10L, 9L, 8L, 7L), seqs(p1));
            assertEquals(7, p1.next());
            Page p3 = log.query(new Query("", Severity.INFO, 0, Long.MAX_VALUE, 3, 4));
            assertEquals(List.of(2L, 1L), seqs(p3));
            assertEquals(0, p3.next());
        }
    }

    @Test
    void shouldTellSubscribersAfterTheEventIsStored() {
        List<String> seen = new ArrayList<>();
        try (EventLog log = EventLog.open(dir.resolve("events.log"), now::get)) {
            log.subscribe(e -> seen.add(e.seq() + ":" + e.message() + ":" + log.lastSeq()));
            log.append(Severity.WARNING, "capacity", "disk-group dg0", "", "above 80 %");
        }
        assertEquals(List.of("1:above 80 %:1"), seen);
        assertTrue(EventLog.line(new Event(1, 0, Severity.WARNING, "capacity", "disk-group dg0", "", "above 80 %"))
                .startsWith("evasan event #1 1970-01-01T00:00:00Z WARNING capacity [disk-group dg0]: above 80 %"));
    }
}

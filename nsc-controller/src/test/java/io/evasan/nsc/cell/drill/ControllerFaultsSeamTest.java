package io.evasan.nsc.cell.drill;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.DrillRequest;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.api.Records;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The drill runner over the {@link ControllerFaults} seam: a drill that acts only after its answer (on the process
 * answering it) is stored as started before anything acts and acts only through {@code act}; a drill the seam refuses
 * changes nothing; the survivor completes the started report in the history with its times.
 */
class ControllerFaultsSeamTest {
    /** Records in a map, as durable as the test needs (a fresh history over them is a reopen). */
    private static final class MapRecords implements Records {
        final Map<String, byte[]> map = new TreeMap<>();

        @Override
        public List<String> keys(String kind) {
            List<String> out = new ArrayList<>();
            for (String k : map.keySet()) {
                if (k.startsWith(kind + "/")) {
                    out.add(k.substring(kind.length() + 1));
                }
            }
            return out;
        }

        @Override
        public Optional<byte[]> get(String kind, String key) {
            return Optional.ofNullable(map.get(kind + "/" + key));
        }

        @Override
        public void put(String kind, String key, byte[] record) {
            map.put(kind + "/" + key, record.clone());
        }

        @Override
        public void remove(String kind, String key) {
            map.remove(kind + "/" + key);
        }
    }

    /** A seam whose drill on A (the process "answering") is started; one on B is taken over at once. */
    private static final class FakeFaults implements ControllerFaults {
        final List<String> done = new ArrayList<>();
        final List<DrillReport> reports = new ArrayList<>();
        String refusal;
        long ids;

        @Override
        public void checkReady(String kind, NscId target, boolean verify) {
            if (refusal != null) {
                throw new StorageException(ErrorCode.INVALID_STATE, refusal);
            }
        }

        @Override
        public DrillReport kill(NscId target) {
            DrillReport r = target == NscId.A
                    ? new DrillReport(++ids, "kill", target, 1_000, -1, -1, -1, 0, 0, 0, 0, DrillReport.STARTED + ": later")
                    : new DrillReport(++ids, "kill", target, 1_000, 5, 9, -1, 0, 0, 0, 0, "taken over");
            if (!r.started()) {
                done.add("kill " + target);
            }
            reports.add(r);
            return r;
        }

        /** A drill on B (or a partition) finishes at once, taken over by the other controller; one on A acts later. */
        @Override
        public DrillReport hang(NscId target) {
            return finished("hang", target);
        }

        @Override
        public DrillReport partition() {
            return finished("partition", null);
        }

        private DrillReport finished(String kind, NscId target) {
            DrillReport r = new DrillReport(++ids, kind, target, 1_000, 7, 11, -1, 0, 0, 0, 0, "taken over");
            done.add(kind + (target == null ? "" : " " + target));
            reports.add(r);
            return r;
        }

        @Override
        public List<Integer> restart(NscId target) {
            done.add("restart " + target);
            return List.of();
        }

        @Override
        public void act(long id) {
            done.add("act " + id);
        }

        @Override
        public void verified(long id, long acknowledged, long verified, long lost, String note) {
        }

        @Override
        public List<DrillReport> drills() {
            return reports;
        }

        @Override
        public void continueDrillIds(long lastId) {
            ids = Math.max(ids, lastId);
        }

        @Override
        public long nextDrillId() {
            return ++ids;
        }
    }

    @Test
    void shouldStoreADrillThatActsAfterItsAnswerAsStartedBeforeAnythingActs() {
        MapRecords records = new MapRecords();
        FakeFaults faults = new FakeFaults();
        DrillRunner runner = new DrillRunner(null, null, faults, null, new DrillHistory(records));

        DrillReport r = runner.run(DrillRequest.of("kill", NscId.A, false));

        assertTrue(r.started(), r.toString());
        assertEquals(List.of(), faults.done, "nothing acted before the answer");
        List<DrillReport> kept = new DrillHistory(records).all();
        assertEquals(List.of(r), kept, "stored, as started, before acting");
        runner.act(r.id());
        assertEquals(List.of("act " + r.id()), faults.done);
    }

    @Test
    void shouldActOnlyOnADrillTheHistoryHoldsAsStarted() {
        FakeFaults faults = new FakeFaults();
        DrillRunner runner = new DrillRunner(null, null, faults, null, new DrillHistory(new MapRecords()));
        DrillReport finished = runner.run(DrillRequest.of("kill", NscId.B, false));

        runner.act(finished.id());
        runner.act(finished.id() + 40);

        assertEquals(List.of("kill B"), faults.done, "a finished or unknown drill is not acted on");
    }

    @Test
    void shouldChangeNothingWhenTheSeamRefusesADrill() {
        MapRecords records = new MapRecords();
        FakeFaults faults = new FakeFaults();
        faults.refusal = "the partner process proc-b is not following";
        DrillRunner runner = new DrillRunner(null, null, faults, null, new DrillHistory(records));

        StorageException e = assertThrows(StorageException.class, () -> runner.run(DrillRequest.of("kill", NscId.A,
                false)));

        assertEquals(ErrorCode.INVALID_STATE, e.code());
        assertTrue(e.getMessage().contains("not following"), e.getMessage());
        assertEquals(List.of(), faults.done);
        assertTrue(records.map.isEmpty(), "no record written");
    }

    @Test
    void shouldRouteTheHangAndThePartitionThroughTheSeamAndKeepTheirReports() {
        MapRecords records = new MapRecords();
        FakeFaults faults = new FakeFaults();
        DrillRunner runner = new DrillRunner(null, null, faults, null, new DrillHistory(records));

        DrillReport hang = runner.run(DrillRequest.of("hang", NscId.B, false));
        DrillReport cut = runner.run(DrillRequest.of("partition", null, false));

        assertEquals(List.of("hang B", "partition"), faults.done);
        assertTrue(!hang.started() && !cut.started(), "both finished when answered");
        assertEquals(List.of(hang.id(), cut.id()), new DrillHistory(records).all().stream().map(DrillReport::id).toList(),
                "both kept in the history");
    }

    @Test
    void shouldRestartThroughTheSeam() {
        FakeFaults faults = new FakeFaults();
        DrillRunner runner = new DrillRunner(null, null, faults, null, new DrillHistory(new MapRecords()));

        runner.restart(NscId.B);

        assertEquals(List.of("restart B"), faults.done);
    }

    @Test
    void shouldCompleteTheStartedReportWithTheSurvivorsTimesDurably() {
        MapRecords records = new MapRecords();
        DrillHistory h = new DrillHistory(records);
        DrillReport other = new DrillReport(1, "kill", NscId.B, 500, 3, 7, -1, 0, 0, 0, 0, "taken over by A");
        DrillReport started = new DrillReport(2, "hang", NscId.A, 10_000, -1, -1, -1, 0, 0, 0, 0,
                DrillReport.STARTED + ": SIGSTOP of proc-a");
        h.save(other);
        h.save(started);

        DrillReport done = h.completeStarted(NscId.A, new TakeoverTimes("proc-b", 10_700, 40, 300, 250, "pool 20 ms"))
                .orElseThrow();

        assertEquals(2, done.id());
        assertEquals("hang", done.kind());
        assertEquals(NscId.A, done.target());
        assertEquals(10_000, done.startedAtMillis(), "the request time is kept");
        assertEquals(700, done.detectionMillis(), "from the request to seen dead");
        assertEquals(1_000, done.takeoverMillis(), "detection + the takeover");
        assertEquals(950, done.firstIoMillis(), "detection + serving");
        assertFalse(done.started());
        assertTrue(done.outcome().startsWith("taken over by proc-b"), done.outcome());
        assertTrue(done.outcome().contains("quorum lease claimed after 40 ms, the takeover done after 300 ms"), done.outcome());
        assertTrue(done.outcome().contains("pool 20 ms"), done.outcome());
        assertEquals(List.of(other, done), new DrillHistory(records).all(), "kept durably, the other untouched");
    }

    @Test
    void shouldLeaveTheHistoryUnchangedWhenNoStartedDrillNamesTheDeadController() {
        MapRecords records = new MapRecords();
        DrillHistory h = new DrillHistory(records);
        DrillReport started = new DrillReport(4, "kill", NscId.B, 10_000, -1, -1, -1, 0, 0, 0, 0,
                DrillReport.STARTED + ": SIGKILL of proc-b");
        h.save(started);
        Map<String, byte[]> before = new TreeMap<>(records.map);

        assertTrue(h.completeStarted(NscId.A, new TakeoverTimes("proc-b", 10_700, 1, 2, 3, "")).isEmpty());

        assertEquals(before.keySet(), records.map.keySet());
        assertEquals(List.of(started), h.all());
    }
}

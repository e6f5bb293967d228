package io.evasan.mgmt.impl;

import io.evasan.mgmt.impl.EventLog.Query;
import io.evasan.mgmt.impl.EventRecordDescriptor.Event;
import io.evasan.mgmt.impl.EventRecordDescriptor.Severity;
import io.evasan.nsc.api.DiskGroupView;
import io.evasan.nsc.api.HealthState;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.api.NscState;
import io.evasan.nsc.api.NscView;
import io.evasan.nsc.api.ObjectHealth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Health transitions, rebuilds, capacity thresholds and takeovers become events once each; the first tick is the baseline. */
class EventWatcherTest {
    @TempDir
    Path dir;

    private List<ObjectHealth> health = new ArrayList<>();
    private DiskGroupView group = group(100, false);
    private long takeovers = 0;

    private static DiskGroupView group(long free, boolean rebuild) {
        return new DiskGroupView(0, "dg0", 1000, free, rebuild, false, List.of());
    }

    private static ObjectHealth drive(HealthState s, String why) {
        return new ObjectHealth("drive", "0/3", "dg0 drive 3", s, why, List.of());
    }

    private List<String> events(EventLog log) {
        List<String> out = new ArrayList<>();
        List<Event> es = new ArrayList<>(log.query(new Query("", Severity.INFO, 0, Long.MAX_VALUE, 0, 100)).events());
        java.util.Collections.reverse(es);
        for (Event e : es) {
            out.add(e.severity() + " " + e.category() + " [" + e.object() + "] " + e.message());
        }
        return out;
    }

    @Test
    void shouldLogEachChangeOnceAndNothingForTheStateFoundAtStart() {
        try (EventLog log = EventLog.open(dir.resolve("events.log"), () -> 0)) {
            EventWatcher w = new EventWatcher(log, () -> health, () -> List.of(group),
                    () -> List.of(new NscView(NscId.A, NscState.ONLINE, List.of(), null, 0, 0, takeovers, "")));
            health = List.of(drive(HealthState.FAILED, "drive is FAILED"));
            group = group(150, true);                      // 85 % full, rebuilding: the baseline
            assertEquals(0, w.tick());
            assertEquals(0, w.tick());
            health = List.of(drive(HealthState.OK, ""));
            group = group(50, false);                      // 95 %
            takeovers = 1;
            assertEquals(4, w.tick());
            health = List.of(drive(HealthState.FAILED, "drive is FAILED"));
            group = group(500, true);                      // 50 %
            assertEquals(3, w.tick());
            assertEquals(0, w.tick());
            health = List.of(drive(HealthState.FAILED, "drive is FAILED"),
                    new ObjectHealth("lun", "5", "new", HealthState.FAILED, "data lost", List.of()));
            assertEquals(1, w.tick(), "a new object that is not OK");
            assertEquals(List.of(
                    "INFO drive [drive dg0 drive 3] FAILED -> OK",
                    "INFO rebuild [disk-group dg0] rebuild finished",
                    "CRITICAL capacity [disk-group dg0] 95 % full: crossed 90 %",
                    "CRITICAL controller [controller A] took over its partner's LUNs (failover; 1 takeover(s) so far)",
                    "CRITICAL drive [drive dg0 drive 3] OK -> FAILED: drive is FAILED",
                    "INFO rebuild [disk-group dg0] rebuild started",
                    "INFO capacity [disk-group dg0] 50 % full: back below 80 %",
                    "CRITICAL health [lun new] OK -> FAILED: data lost"), events(log));
        }
    }
}

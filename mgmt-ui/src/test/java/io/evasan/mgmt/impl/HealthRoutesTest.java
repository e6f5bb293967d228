package io.evasan.mgmt.impl;

import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.Health;
import io.evasan.nsc.api.HealthState;
import io.evasan.nsc.api.ObjectHealth;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The health's periodic readers share one computation per age; requests always compute afresh. */
class HealthRoutesTest {
    private final AtomicInteger walks = new AtomicInteger();
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final HealthRoutes routes = new HealthRoutes(null, cell(), null, null, nanos::get);

    private Cell cell() {
        Health health = new Health() {
            @Override
            public List<ObjectHealth> objects() {
                int n = walks.incrementAndGet();
                return List.of(new ObjectHealth("drive", "0", "drive 0", n % 2 == 0 ? HealthState.FAILED : HealthState.OK,
                        "walk " + n, List.of()));
            }

            @Override
            public List<String> unitsUsing(int group, List<Long> rsdIds) {
                return List.of();
            }
        };
        return (Cell) Proxy.newProxyInstance(Cell.class.getClassLoader(), new Class<?>[]{Cell.class},
                (p, m, a) -> {
                    if (m.getName().equals("health")) {
                        return health;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    @Test
    void shouldShareOneComputationAmongPeriodicReadersWithinTheirAge() {
        List<ObjectHealth> first = routes.recent(500);
        nanos.addAndGet(499_000_000L);
        assertEquals(first, routes.recent(500), "younger than 500 ms: the same computation");
        assertEquals(first, routes.recent(1000), "a slower reader reuses it too");
        assertEquals(1, walks.get());
        nanos.addAndGet(1_000_000L);
        assertEquals("walk 2", routes.recent(500).get(0).reason(), "500 ms old: computed again");
        assertEquals(2, routes.computations());
    }

    @Test
    void shouldComputeAfreshForARequestAndLetThePeriodicReadersReuseIt() {
        routes.recent(1000);
        assertEquals("walk 2", routes.objects().get(0).reason(), "a request never reads a shared computation");
        assertEquals("walk 2", routes.recent(1000).get(0).reason(), "the request's computation is the shared one now");
        assertEquals(2, walks.get());
        assertEquals("FAILED", HealthRoutes.body(List.of(), routes.recent(1000)).getString("state"));
    }
}

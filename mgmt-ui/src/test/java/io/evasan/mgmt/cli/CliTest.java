package io.evasan.mgmt.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of the sanctl test classes that share one running appliance per class: {@link #f} is a fresh
 * {@link CliFixture} before the first test of each subclass and is closed (its folder deleted) after the
 * last; a subclass's own {@code @BeforeAll} runs after it, so it may already use {@code f}. Test classes
 * run one after another (no parallel execution in this module), so the one static field never holds
 * two classes' appliances at once.
 */
abstract class CliTest {
    static CliFixture f;

    @BeforeAll
    static void openAppliance() throws Exception {
        f = new CliFixture();
    }

    @AfterAll
    static void closeAppliance() throws Exception {
        if (f != null) {
            f.close();
            f = null;
        }
    }
}

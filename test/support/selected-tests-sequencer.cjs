// Jest's own order, plus a note of which test files this run selected: the global setup reads it
// to check only the binaries those files need (Jest hands a global setup no list of tests).
const Sequencer = require('@jest/test-sequencer').default;

class SelectedTestsSequencer extends Sequencer {
  sort(tests) {
    globalThis.__selectedTestFiles = tests.map((test) => test.path);
    return super.sort(tests);
  }
}

module.exports = SelectedTestsSequencer;

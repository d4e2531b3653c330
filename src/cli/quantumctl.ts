// Entry point of bin/quantumctl: the admin CLI (commands in ./quantumctl/).
import { runQuantumctl } from "./quantumctl/program.js";

process.exitCode = await runQuantumctl(process.argv);

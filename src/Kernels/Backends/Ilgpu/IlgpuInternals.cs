using System.Runtime.CompilerServices;

// ILGPU generates kernel launchers in a dynamic assembly named ILGPURuntime; the kernels and
// their argument structs are internal to this library, so that assembly must see them.
[assembly: InternalsVisibleTo("ILGPURuntime")]

#!/usr/bin/env ruby
# A small stand-in for the bosh-template gem (not installable here) that renders a job the way
# the director does: the properties the job spec declares, each the manifest's value or else the
# spec's default, seen through p(), if_p() and spec in ERB with trim mode "-".
#
#   ruby render-job.rb JOB_DIR PROPERTIES_JSON OUT_DIR
# JOB_DIR holds job.MF (or spec) and templates/; each template goes to OUT_DIR/<its destination>.
require 'erb'
require 'fileutils'
require 'json'
require 'ostruct'
require 'yaml'

job_dir, properties_file, out_dir = ARGV
spec_file = File.exist?(File.join(job_dir, 'job.MF')) ? File.join(job_dir, 'job.MF') : File.join(job_dir, 'spec')
job_spec = YAML.safe_load(File.read(spec_file))
manifest_properties = JSON.parse(File.read(properties_file))

# [found, value] for a dotted name; a nil value counts as absent, as in bosh-template.
def lookup(hash, name)
  value = name.split('.').reduce(hash) do |node, key|
    return [false, nil] unless node.is_a?(Hash) && node.key?(key)
    node[key]
  end
  [!value.nil?, value]
end

def assign(hash, name, value)
  *parents, last = name.split('.')
  parents.reduce(hash) { |node, key| node[key] ||= {} }[last] = value
end

properties = {}
(job_spec['properties'] || {}).each do |name, definition|
  found, value = lookup(manifest_properties, name)
  if found
    assign(properties, name, value)
  elsif definition.is_a?(Hash) && definition.key?('default')
    assign(properties, name, definition['default'])
  end
end

class UnknownProperty < StandardError; end

# What if_p returns: `else` runs its block only when if_p's did not.
class ActiveElse
  def initialize(context)
    @context = context
  end

  def else
    yield
  end

  def else_if_p(*names, &block)
    @context.if_p(*names, &block)
  end
end

class InactiveElse
  def else; end

  def else_if_p(*)
    self
  end
end

class TemplateContext
  UNSET = Object.new
  attr_reader :spec

  def initialize(properties, spec)
    @properties = properties
    @spec = spec
  end

  def p(names, default = UNSET)
    Array(names).each do |name|
      found, value = lookup(@properties, name)
      return value if found
    end
    return default unless default.equal?(UNSET)
    raise UnknownProperty, "Can't find property '#{Array(names).join("' or '")}'"
  end

  def if_p(*names)
    values = names.map do |name|
      found, value = lookup(@properties, name)
      return ActiveElse.new(self) unless found
      value
    end
    yield(*values)
    InactiveElse.new
  end

  def template_binding
    binding
  end
end

instance = OpenStruct.new(
  name: job_spec['name'], job: OpenStruct.new(name: job_spec['name']), deployment: 'bosh', index: 0,
  id: '00000000-0000-4000-8000-000000000000', az: 'z1', bootstrap: true, address: '10.0.0.6', ip: '10.0.0.6',
  properties: properties
)

(job_spec['templates'] || {}).each do |source, destination|
  text = File.read(File.join(job_dir, 'templates', source))
  context = TemplateContext.new(properties, instance)
  rendered = ERB.new(text, trim_mode: '-').result(context.template_binding)
  target = File.join(out_dir, destination)
  FileUtils.mkdir_p(File.dirname(target))
  File.write(target, rendered)
end
